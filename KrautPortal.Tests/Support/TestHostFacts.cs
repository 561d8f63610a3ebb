using System.Net;
using KrautPortal.Features.Networks.HostFacts;

namespace KrautPortal.Tests.Support;

/// <summary>A made-up host for the test driver: a LAN on eth0, loopback, and a DNS server on a private range, like this machine's.</summary>
public static class TestHostFacts
{
    public const string Lan = "192.0.2.0/24";
    public const string Dns = "10.255.255.53";
    public const string LanIpv6 = "fd00::/64";

    public static readonly FixedHostNetworkFacts Fixed = new(
        new HostClaim(IPNetwork.Parse("127.0.0.0/8"), "lo", "address 127.0.0.1/8 on lo"),
        new HostClaim(IPNetwork.Parse(Lan), "eth0", $"address 192.0.2.2/24 on eth0"),
        new HostClaim(IPNetwork.Parse(LanIpv6), "eth0", "address fd00::2/64 on eth0"),
        new HostClaim(IPNetwork.Parse(Dns + "/32"), null, $"DNS server {Dns} (from /etc/resolv.conf)"));
}
