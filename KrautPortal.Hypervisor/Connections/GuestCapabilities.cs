namespace KrautPortal.Hypervisor;

/// <summary>One &lt;guest&gt; of the capabilities: an OS type and arch, its emulator, machines and domain types.</summary>
public sealed record GuestCapabilities(
    string OsType,
    string Arch,
    string? Emulator,
    IReadOnlyList<string> Machines,
    IReadOnlyList<GuestDomainCapabilities> DomainTypes)
{
    public bool SupportsDomainType(string type) => DomainTypes.Any(d => d.Type == type);

    /// <summary>A domain type may name its own emulator (libvirt allows it); else the arch's emulator.</summary>
    public string? EmulatorFor(string domainType) =>
        DomainTypes.FirstOrDefault(d => d.Type == domainType)?.Emulator ?? Emulator;
}
