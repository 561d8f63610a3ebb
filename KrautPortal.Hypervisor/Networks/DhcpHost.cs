namespace KrautPortal.Hypervisor;

/// <summary>
/// A fixed DHCP reservation: this MAC always gets this address. For IPv6 libvirt cannot match a MAC, so the
/// reservation is keyed by the DUID-LL the MAC makes (<see cref="DuidLl"/>), which is what clients such as
/// busybox udhcpc6 and dnsmasq-style clients send.
/// </summary>
public sealed record DhcpHost(string Mac, string Ip, string? Name = null)
{
    /// <summary>DUID type 3 (link-layer), hardware type 1 (Ethernet), then the MAC (RFC 8415 §11.4).</summary>
    public string DuidLl => "00:03:00:01:" + Mac.ToLowerInvariant();
}
