namespace KrautPortal.Hypervisor;

/// <summary>virDomainEventType: what happened to a domain.</summary>
public enum DomainEventType
{
    Defined = 0,
    Undefined = 1,
    Started = 2,
    Suspended = 3,
    Resumed = 4,
    Stopped = 5,
    Shutdown = 6,
    PmSuspended = 7,
    Crashed = 8,

    /// <summary>Not a virDomainEventType: VIR_DOMAIN_EVENT_ID_REBOOT, the guest was reset (it rebooted).</summary>
    Rebooted = 100,
}
