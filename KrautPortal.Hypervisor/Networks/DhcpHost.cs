namespace KrautPortal.Hypervisor;

/// <summary>A fixed DHCP reservation: this MAC always gets this IPv4 address.</summary>
public sealed record DhcpHost(string Mac, string Ip, string? Name = null);
