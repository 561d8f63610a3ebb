namespace KrautPortal.Hypervisor;

/// <summary>One IP address of one guest interface, as libvirt learnt it (DHCP lease).</summary>
public sealed record GuestInterfaceAddress(string InterfaceName, string? Mac, string Address, int Prefix, bool IsIpv6);
