namespace KrautPortal.Features.Vms;

/// <summary>Which power actions make sense for a VM as last observed, and whether it is between states.</summary>
public sealed record VmActionsAvailable(bool Start, bool Stop, bool Reboot, bool ForceOff, bool Busy)
{
    public static VmActionsAvailable For(Store.Resource<VmSpec, VmStatus> vm)
    {
        var status = vm.Status;
        // A new version the reconciler has not acted on yet (and did not fail on): the page would offer stale choices.
        var catchingUp = status.ObservedVersion < vm.Version && status.LastError is null;
        // Only Kraut acts on a system VM (a router); an administrator's action would be refused.
        if (vm.System) return new(false, false, false, false, false);
        if (vm.DeletionRequestedAt is not null || status.Phase == VmPhase.Deleting)
            return new(false, false, false, false, true);
        if (catchingUp)
            return new(false, false, false, false, true);
        return status.Phase switch
        {
            VmPhase.Running => new(false, true, true, true, false),
            VmPhase.Paused => new(false, true, false, true, false),
            VmPhase.Stopped or VmPhase.Missing or VmPhase.Failed => new(true, false, false, false, false),
            VmPhase.Crashed => new(true, false, false, true, false),
            // A guest that ignores ACPI would keep a stop or reboot waiting for the timeout: cutting power stays possible.
            VmPhase.Stopping or VmPhase.Rebooting => new(false, false, false, true, true),
            _ => new(false, false, false, false, true),
        };
    }

    public bool Allows(string action) => action switch
    {
        "start" => Start,
        "stop" => Stop,
        "reboot" => Reboot,
        "force-off" => ForceOff,
        _ => false,
    };
}
