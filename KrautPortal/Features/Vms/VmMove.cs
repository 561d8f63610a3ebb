using KrautPortal.Features.Hosts;

namespace KrautPortal.Features.Vms;

/// <summary>
/// A move of a VM between hosts as its status records it: <paramref name="Step"/> is the last step begun
/// (<see cref="VmMoveSteps"/>), so a pass after a crash knows where it was; <paramref name="Error"/> why the last try failed.
/// </summary>
public sealed record VmMove(string From, string To, string Step, bool Live, DateTime StartedAt, DateTime? FinishedAt = null, string? Error = null);

/// <summary>The steps of a move, in order. Each is idempotent: a pass that finds it done goes on to the next.</summary>
public static class VmMoveSteps
{
    /// <summary>The disk overlay copied to the target (cold), rebased onto the target's copy of its base image.</summary>
    public const string CopyingDisk = "copying-disk";

    /// <summary>The seed and networks made on the target and the domain defined there (cold).</summary>
    public const string Defining = "defining";

    /// <summary>libvirt's live migration with storage copy (running VMs; <see cref="IVmMigrator"/>).</summary>
    public const string Migrating = "migrating";

    /// <summary>The domain undefined and its disk, seed and console log removed on the source: only after the target has them.</summary>
    public const string CleaningSource = "cleaning-source";
}

/// <summary>
/// One move of a running VM, resolved: <paramref name="Target"/>'s plan (its host is the target, its domain type and
/// emulator the target's), both hosts, and the domain XML built for the target. Before <see cref="IVmMigrator.MoveRunningAsync"/>
/// is called the target already has the base image, an empty qcow2 overlay on it of the VM's size (at the path the XML
/// names) and the seed; the flow removes the source's disk, seed and console log after it returns.
/// </summary>
public sealed record VmLiveMove(VmPlan Target, KrautHost Source, KrautHost TargetHost, string TargetDomainXml);

/// <summary>
/// The live path of a move, plugged in by the live migration work (a running VM cannot be moved cold without stopping
/// it, which Kraut never does silently). Registered as a singleton.
/// </summary>
public interface IVmMigrator
{
    /// <summary>Whether running VMs can be moved now; false: the API refuses to move a running VM and asks to stop it.</summary>
    bool LiveAvailable { get; }

    /// <summary>
    /// Moves the running domain to the target and returns once it runs there, persistently defined, and is gone from the
    /// source. Must be safe to call again after a crash at any point: a domain already running on the target is success.
    /// </summary>
    Task MoveRunningAsync(VmLiveMove move, CancellationToken ct);
}

/// <summary>The migrator until live migration exists: running VMs must be stopped to be moved.</summary>
public sealed class NoLiveMigration : IVmMigrator
{
    public bool LiveAvailable => false;

    public Task MoveRunningAsync(VmLiveMove move, CancellationToken ct) => throw new LiveMigrationUnavailableException();
}

public sealed class LiveMigrationUnavailableException()
    : Exception("Live migration is not available: stop the VM to move it (it is then moved cold, with its disk).");
