using KrautPortal.Features.Store;

namespace KrautPortal.Features.Networks;

/// <summary>A NIC as a network sees it: where it is and which MAC and addresses it has.</summary>
public sealed record MemberNic
{
    public Guid Id { get; init; }
    public required Guid NetworkId { get; init; }
    public string? Mac { get; init; }
    public string? Ipv4Address { get; init; }
    public string? Ipv6Address { get; init; }

    /// <summary>The leg of a network's router (a router VM's NIC on the network it routes): DHCP announces it as the gateway.</summary>
    public bool RoutesNetwork { get; init; }
}

/// <summary>A VM with NICs on Kraut's networks, as much of it as networks need: who owns it, its host name, its NICs.</summary>
public sealed record MemberVm(Guid Id, string Name, string Owner, bool IsSystem, bool Deleting, string? Hostname, IReadOnlyList<MemberNic> Nics);

/// <summary>
/// What networks need to know about the VMs on them (DHCP reservations, visibility, the IPAM sweep, delete checks).
/// Networks sit below VMs and never read VM records themselves: the VM feature answers (Vms/VmNetworkMembers.cs).
/// </summary>
public interface INetworkMembers
{
    /// <summary>Every VM with a NIC on <paramref name="networkId"/> (with all its NICs), whoever owns it.</summary>
    Task<IReadOnlyList<MemberVm>> OnNetworkAsync(Guid networkId, CancellationToken ct);

    /// <summary>Every VM with its NICs, whoever owns it.</summary>
    Task<IReadOnlyList<MemberVm>> AllAsync(CancellationToken ct);

    /// <summary>The hosts (libvirt URIs) where VMs with a NIC on <paramref name="networkId"/> are placed: where the network must reach.</summary>
    Task<IReadOnlyCollection<string>> HostsOfAsync(Guid networkId, CancellationToken ct);

    /// <summary>The VM if <paramref name="actor"/> may see it, else null.</summary>
    Task<MemberVm?> FindAsync(Guid vmId, Actor actor, CancellationToken ct);

    /// <summary>Throws a conflict naming the VMs (those <paramref name="actor"/> may see) that still have a NIC on the network.</summary>
    Task EnsureNoneOnAsync(Guid networkId, string what, Actor actor, CancellationToken ct);
}
