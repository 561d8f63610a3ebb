using KrautPortal.Features.Snapshots;
using KrautPortal.Features.Vms;

namespace KrautPortal.Tests.Snapshots;

/// <summary>What is offered where, on plain facts: the reasons name the host, its libvirt and what to do.</summary>
public sealed class SnapshotCapabilitiesTests
{
    private static SnapshotFacts Facts(VmPhase phase = VmPhase.Running, bool uefi = false, Version? libvirt = null, bool hostKnown = true, bool defined = true,
        int checkpoints = 0) =>
        new(phase, defined, false, uefi, "qemu:///system", hostKnown, libvirt ?? new Version(9, 0, 0), checkpoints);

    [Fact]
    public void AStoppedVm_WithBackupCheckpoints_IsNotOffered_SayingWhatToDo_ARunningOneIs()
    {
        var stopped = SnapshotCapabilities.Judge(Facts(VmPhase.Stopped, checkpoints: 2));
        Assert.False(stopped.Offered);
        Assert.Contains("2 checkpoints", stopped.Reason, StringComparison.Ordinal);
        Assert.Contains("libvirt 9.0.0 on qemu:///system takes no snapshot of a stopped VM", stopped.Reason, StringComparison.Ordinal);
        Assert.Contains("Start the VM", stopped.Reason, StringComparison.Ordinal);
        Assert.True(SnapshotCapabilities.Judge(Facts(VmPhase.Running, checkpoints: 2)).Offered);
        Assert.True(SnapshotCapabilities.Judge(Facts(VmPhase.Stopped)).Offered);
    }

    [Fact]
    public void ABiosVm_RunningOrStopped_IsOffered_AndARunningOneAlwaysWithMemory()
    {
        var running = SnapshotCapabilities.Judge(Facts());
        Assert.True(running.Offered);
        Assert.True(running.Running);
        Assert.NotNull(SnapshotCapabilities.MemoryProblem(running, includeMemory: false));
        var stopped = SnapshotCapabilities.Judge(Facts(VmPhase.Stopped));
        Assert.True(stopped.Offered);
        Assert.Null(SnapshotCapabilities.MemoryProblem(stopped, includeMemory: false));
        Assert.Contains("no memory to save", SnapshotCapabilities.MemoryProblem(stopped, includeMemory: true), StringComparison.Ordinal);
    }

    [Fact]
    public void AUefiVm_IsNotOffered_WithTheReasonOfItsHostsLibvirt()
    {
        var old = SnapshotCapabilities.Judge(Facts(uefi: true, libvirt: new Version(9, 0, 0)));
        Assert.False(old.Offered);
        Assert.Contains("NVRAM", old.Reason, StringComparison.Ordinal);
        Assert.Contains("libvirt 9.0.0 on qemu:///system cannot revert external snapshots", old.Reason, StringComparison.Ordinal);
        var newer = SnapshotCapabilities.Judge(Facts(uefi: true, libvirt: new Version(10, 0, 0)));
        Assert.Contains("libvirt 10.0.0 on qemu:///system refuses internal snapshots of UEFI guests", newer.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(VmPhase.Moving, "being moved")]
    [InlineData(VmPhase.Starting, "is starting")]
    [InlineData(VmPhase.Missing, "is missing")]
    public void ABusyOrBrokenVm_IsNotOffered(VmPhase phase, string reason) =>
        Assert.Contains(reason, SnapshotCapabilities.Judge(Facts(phase)).Reason, StringComparison.Ordinal);

    [Fact]
    public void AHostThatDoesNotAnswer_OrAVmNotYetCreated_IsNotOffered()
    {
        Assert.Contains("does not answer", SnapshotCapabilities.Judge(Facts() with { Libvirt = null }).Reason, StringComparison.Ordinal);
        Assert.Contains("no libvirt domain yet", SnapshotCapabilities.Judge(Facts(defined: false)).Reason, StringComparison.Ordinal);
        Assert.Contains("no longer configured", SnapshotCapabilities.Judge(Facts(hostKnown: false)).Reason, StringComparison.Ordinal);
    }
}
