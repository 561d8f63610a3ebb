namespace KrautPortal.Hypervisor;

/// <summary>A VIR_DOMAIN_EVENT_ID_LIFECYCLE event; Detail is the type-specific virDomainEvent*DetailType value.</summary>
public sealed record DomainLifecycleEvent(string ConnectionUri, Guid DomainUuid, string DomainName, DomainEventType Type, int Detail);
