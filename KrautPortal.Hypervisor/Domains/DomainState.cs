namespace KrautPortal.Hypervisor;

/// <summary>virDomainState: a domain's current run state.</summary>
public enum DomainState
{
    NoState = 0,
    Running = 1,
    Blocked = 2,
    Paused = 3,

    /// <summary>A shutdown is in progress; the domain still runs.</summary>
    Shutdown = 4,
    Shutoff = 5,
    Crashed = 6,
    PmSuspended = 7,
}
