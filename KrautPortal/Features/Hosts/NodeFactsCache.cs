using System.Collections.Concurrent;
using KrautPortal.Hypervisor;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Hosts;

/// <summary>The <c>Capacity</c> configuration section's setting for how long a host's facts are reused.</summary>
public sealed class NodeFactsOptions
{
    /// <summary>How long a host's facts are reused before libvirt is asked again.</summary>
    public double NodeFactsMaxAgeSeconds { get; set; } = 10;
}

/// <summary>What each host last said about itself, asked again at most every few seconds and never waited on for long.</summary>
/// <remarks>
/// A dashboard refreshes often and several circuits read capacity at once; an unreachable host would make each of them
/// wait for libvirt's connect timeout. A fresh reading is awaited briefly; past that the last one learned is used and the
/// reading finishes in the background for the next caller.
/// </remarks>
public sealed class NodeFactsCache(IOptions<NodeFactsOptions> options, TimeProvider time, ILogger<NodeFactsCache> logger)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(2);

    // Placement on a host never asked before has nothing to fall back on: a create right after start-up would be refused as
    // "not reported yet" if a busy machine took longer than Patience to open the first connection. Only that first attempt
    // is waited for longer, and only by placement (pages keep the short wait).
    private static readonly TimeSpan FirstPatience = TimeSpan.FromSeconds(15);
    private readonly ConcurrentDictionary<string, Entry> _entries = new();

    /// <summary>A host's facts as last learned, with the error of the latest attempt (null when it answered).</summary>
    public sealed record Reading(NodeFacts? Facts, string? Error, DateTime? LearnedAt);

    /// <param name="waitForFresh">
    /// False for placement: a host's CPUs and memory rarely change, so the last facts learned are used at once (a create
    /// must not hold its transaction open for libvirt); only a host never reached yet is waited for.
    /// </param>
    public async Task<Reading> GetAsync(KrautHost host, bool waitForFresh = true)
    {
        var entry = _entries.GetOrAdd(host.Uri, _ => new Entry());
        var maxAge = TimeSpan.FromSeconds(options.Value.NodeFactsMaxAgeSeconds);
        Task refresh;
        TimeSpan patience;
        lock (entry)
        {
            patience = !waitForFresh && entry.Facts is null && entry.Error is null ? FirstPatience : Patience;
            var stale = entry.LearnedAt is not { } at || time.GetUtcNow().UtcDateTime - at > maxAge || entry.Error is not null;
            if (stale && entry.Refresh is null) entry.Refresh = Task.Run(() => Learn(host, entry));
            refresh = entry.Refresh ?? Task.CompletedTask;
            if (!waitForFresh && entry.Facts is not null) return new Reading(entry.Facts, entry.Error, entry.LearnedAt);
        }
        await Task.WhenAny(refresh, Task.Delay(patience, time));
        lock (entry) return new Reading(entry.Facts, entry.Error, entry.LearnedAt);
    }

    private void Learn(KrautHost host, Entry entry)
    {
        NodeFacts? facts = null;
        string? error = null;
        try
        {
            facts = host.Connection.GetNodeFacts();
        }
        catch (Exception e) when (e is HostUnavailableException or LibvirtException or ObjectDisposedException)
        {
            error = host.Error ?? e.Message;
            logger.LogDebug("Node facts of {Uri} unavailable: {Error}", host.Uri, error);
        }
        lock (entry)
        {
            if (facts is not null)
            {
                entry.Facts = facts;
                entry.LearnedAt = time.GetUtcNow().UtcDateTime;
            }
            entry.Error = error;
            entry.Refresh = null;
        }
    }

    private sealed class Entry
    {
        public NodeFacts? Facts { get; set; }
        public string? Error { get; set; }
        public DateTime? LearnedAt { get; set; }
        public Task? Refresh { get; set; }
    }
}
