namespace KrautPortal.Hypervisor;

/// <summary>What one VXLAN link on this host should be: its segment, where its traffic goes, and the bridge it joins.</summary>
/// <param name="Name">The interface name (at most 15 characters), chosen by the caller from ids, never user text.</param>
/// <param name="Remotes">Unicast remote VTEPs, each given an all-zeros FDB entry (head-end replication); empty with <paramref name="Group"/>.</param>
/// <param name="Group">A multicast group instead of remotes.</param>
/// <param name="Device">The underlay interface; null: the one the route to the first remote (or the default route) uses.</param>
/// <param name="Mtu">The link's MTU; null: the underlay's MTU minus the 50 bytes of VXLAN encapsulation.</param>
/// <param name="Bridge">The bridge the link is a port of.</param>
public sealed record VxlanLinkDefinition(
    string Name,
    int Vni,
    int Port,
    IReadOnlyList<string> Remotes,
    string? Group,
    string? Device,
    int? Mtu,
    string Bridge);

/// <summary>A VXLAN link as the kernel reports it.</summary>
/// <param name="Device">The underlay interface the link is bound to, if any.</param>
/// <param name="Master">The bridge it is a port of, if any.</param>
/// <param name="OperState">The kernel's operstate: UP, DOWN, UNKNOWN (an up VXLAN link usually reports UNKNOWN).</param>
/// <param name="Remotes">The destinations of its all-zeros FDB entries (the unicast remotes).</param>
public sealed record VxlanLinkState(
    string Name,
    int Vni,
    int Port,
    string? Group,
    string? Device,
    bool Learning,
    int Mtu,
    string? Master,
    bool AdminUp,
    string OperState,
    IReadOnlyList<string> Remotes);
