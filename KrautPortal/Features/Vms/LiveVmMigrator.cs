using System.Diagnostics;
using KrautPortal.Features.Hosts;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Vms;

/// <summary>
/// The live path of a move (<see cref="IVmMigrator"/>): libvirt's live migration (virDomainMigrate3) with the writable
/// disk's top layer copied to the overlay the move made on the target (NBD), memory streamed straight between the two
/// QEMUs over the target's address, the domain defined on the target by libvirt itself (the move's cleaning step then
/// undefines the stopped one on the source).
/// The guest keeps running throughout; it pauses only for the final switch-over.
/// </summary>
/// <remarks>
/// The destination XML is the running domain's own with the target's paths laid over it (<see cref="MigrationXml"/>);
/// the definition built for the target becomes the one it keeps for its next boot. The two hosts must run guests the
/// same way: a KVM guest cannot continue under TCG or the other way round, which is refused with that reason.
/// </remarks>
public sealed class LiveVmMigrator(HostRegistry hosts, ILogger<LiveVmMigrator> logger) : IVmMigrator
{
    /// <summary>Long enough for a large guest under TCG; past it the job is aborted and the guest runs on at its source.</summary>
    internal static readonly TimeSpan Timeout = TimeSpan.FromMinutes(20);

    /// <summary>Two real hypervisor hosts at least: libvirt's test driver (the demo host) has nothing to migrate.</summary>
    public bool LiveAvailable => hosts.Hosts.Count(h => !h.IsDemo) >= 2;

    public async Task MoveRunningAsync(VmLiveMove move, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(move);
        var id = move.Target.Id;
        var target = move.TargetHost;
        using (var there = target.Connection.FindDomain(id))
        {
            // Finished before a crash: libvirt only starts the domain there once the migration is complete.
            if (there is { IsActive: true }) return;
        }
        if (move.Source.Connection.IsTestDriver || target.Connection.IsTestDriver)
            throw new VmBuildException("libvirt's test driver cannot migrate a running VM; stop it to move it.");

        var source = move.Source.Connection;
        LiveMigrationRequest request;
        try
        {
            var destination = MigrationXml.ForTarget(source.GetMigratableXml(id), move.TargetDomainXml);
            // The source's definition is left (stopped) for the move's cleaning step, which undefines it through the domain
            // it looked up before this call; undefined here, that lookup would find it gone.
            request = new LiveMigrationRequest(id, TargetAddress(move.Source, target), destination, move.TargetDomainXml,
                MigrationXml.WritableDisks(move.TargetDomainXml), UndefineSource: false);
        }
        catch (LiveMigrationRefusedException e)
        {
            throw new VmBuildException(e.Message);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        logger.LogInformation("Live migration of VM {Id} from {Source} to {Target} ({Uri}) begins", id, move.Source.Uri, target.Uri, request.MigrationUri);
        LiveMigrationResult result;
        try
        {
            // One blocking libvirt call for the whole migration: a thread of its own, not one of the pool's.
            result = await Task.Factory.StartNew(() => source.MigrateLive(request, target.Connection, new LoggedProgress(logger, id), timeout.Token),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new LibvirtException($"The live migration to {target.Uri} did not finish within {Timeout.TotalMinutes:0} minutes and was aborted; the VM runs on at {move.Source.Uri}.", e);
        }
        using (result.Domain)
        {
            logger.LogInformation("VM {Id} runs on {Target} now: live migration took {Seconds:0.0} s, the guest paused {Downtime} ms, {Bytes} bytes sent",
                id, target.Uri, result.Elapsed.TotalSeconds, result.Downtime?.TotalMilliseconds, result.DataTransferred);
        }
    }

    /// <summary>
    /// Where the source host reaches the target: the address in a remote target's URI, or, for this machine, its own
    /// address on the route toward the source host (a remote source reaches this machine from there).
    /// </summary>
    private static string TargetAddress(KrautHost source, KrautHost target)
    {
        if (MigrationAddress.OfRemoteUri(target.Uri) is { } remote) return remote.ToString();
        var peer = MigrationAddress.OfRemoteUri(source.Uri)
            ?? throw new VmBuildException($"{source.Uri} and {target.Uri} are both this machine: there is nothing to migrate between.");
        return MigrationAddress.LocalToward(peer).ToString();
    }

    /// <summary>The job's progress in the log, every few seconds: a migration under TCG can take minutes.</summary>
    private sealed class LoggedProgress(ILogger logger, Guid id) : IProgress<LiveMigrationProgress>
    {
        private readonly Stopwatch _sinceLast = Stopwatch.StartNew();

        public void Report(LiveMigrationProgress value)
        {
            if (_sinceLast.Elapsed < TimeSpan.FromSeconds(5)) return;
            _sinceLast.Restart();
            logger.LogInformation("Live migration of VM {Id}: {Seconds:0} s, {Percent} sent ({Processed} of {Total} bytes), memory pass {Iteration}",
                id, value.Elapsed.TotalSeconds, value.Fraction is { } f ? $"{f:P0}" : "?", value.DataProcessed, value.DataTotal, value.MemoryIteration);
        }
    }
}
