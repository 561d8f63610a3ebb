namespace KrautPortal.Hypervisor;

/// <summary>One lease libvirt's dnsmasq handed out (virNetworkGetDHCPLeases). Mac is lowercase.</summary>
public sealed record DhcpLease(string Interface, DateTimeOffset ExpiresAt, string Mac, string IpAddress, int Prefix, bool IsIpv6, string? Hostname, string? ClientId);
