using System.Text.Json.Nodes;
using KrautPortal.Features.Store.Selectors;

namespace KrautPortal.Features.Scheduling;

/// <summary>An (anti-)affinity rule as the scheduler uses it: the selector already parsed, hard (a filter) or soft (a weight).</summary>
public sealed record PlacementRule(string Text, Selector Selector, bool Hard)
{
    /// <summary>Throws <see cref="SelectorParseException"/> for a selector the API would refuse.</summary>
    public static PlacementRule Parse(string text, bool hard) => new(text, SelectorParser.Parse(text), hard);

    public bool Matches(JsonObject metadata) => SelectorMatcher.Matches(Selector, metadata);

    public override string ToString() => $"{(Hard ? "hard" : "soft")} \"{Text}\"";
}

/// <summary>The VM to place. <paramref name="Id"/> excludes the VM itself when it is already stored (a re-placement).</summary>
public sealed record PlacementRequest(
    Guid? Id,
    string Architecture,
    int Vcpus,
    long MemoryBytes,
    long DiskBytes,
    bool Dedicated,
    JsonObject Metadata,
    IReadOnlyList<PlacementRule> Affinity,
    IReadOnlyList<PlacementRule> AntiAffinity);

/// <summary>
/// One host as last reported. <paramref name="DiskPool"/> names the filesystem its VM disks live on: hosts sharing one
/// (local hosts on Kraut's data directory) share its room. <paramref name="Emulated"/> lists architectures it runs only
/// under emulation (slow), a subset of <paramref name="Architectures"/>.
/// </summary>
public sealed record HostFacts(
    string Uri,
    bool Reachable,
    bool Cordoned,
    int Cpus,
    long MemoryBytes,
    long DiskBytes,
    string DiskPool,
    IReadOnlySet<string> Architectures,
    IReadOnlySet<string> Emulated,
    string? Error = null);

/// <summary>A VM already on a host: what it takes there, its labels, and its hard anti-affinity (which applies both ways).</summary>
public sealed record PlacedVm(
    Guid Id,
    string Name,
    string Host,
    int Vcpus,
    long MemoryBytes,
    long DiskBytes,
    bool Dedicated,
    JsonObject Metadata,
    IReadOnlyList<PlacementRule> AntiAffinity);

public enum PlacementStrategy { Spread, Pack }

/// <summary>The <c>Scheduling</c> configuration section.</summary>
public sealed class SchedulingOptions
{
    /// <summary><c>spread</c>: the host with most room left (memory and vCPUs); <c>pack</c>: the fullest host that still fits.</summary>
    public PlacementStrategy Strategy { get; set; } = PlacementStrategy.Spread;

    /// <summary>Score per soft (anti-)affinity rule met or broken; larger than the room weight's range (0–1), so a soft rule wins over room.</summary>
    public double SoftAffinityWeight { get; set; } = 2.0;

    /// <summary>Score taken from a host that would run the VM emulated while another runs it natively.</summary>
    public double EmulationPenalty { get; set; } = 1.0;
}

/// <summary>One host's verdict: refused by a filter (its name and a sentence with the numbers) or accepted with a score.</summary>
/// <param name="Weights">Each weigher's part of the score, by name (only for accepted hosts).</param>
public sealed record HostVerdict(string Host, string? Filter, string? Reason, double? Score, IReadOnlyDictionary<string, double>? Weights)
{
    public bool Accepted => Filter is null;
}

/// <summary>The chosen host (null: none fits) and every host's verdict, best first among the accepted.</summary>
public sealed record PlacementDecision(string? Host, IReadOnlyList<HostVerdict> Hosts)
{
    /// <summary>One sentence naming each host's refusing filter, for a log line or a VM's last error.</summary>
    public string Explain() => Host is not null
        ? $"Placed on {Host}."
        : Hosts.Count == 0
            ? "No host can take this VM: no hosts are configured."
            : "No host can take this VM: " + string.Join("; ", Hosts.Select(h => $"{h.Host}: {h.Filter}: {h.Reason}")) + ".";
}
