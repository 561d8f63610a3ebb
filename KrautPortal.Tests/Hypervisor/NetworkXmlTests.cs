using System.Xml.Linq;
using KrautPortal.Hypervisor;
using static KrautPortal.Tests.Hypervisor.TestSupport;

namespace KrautPortal.Tests.Hypervisor;

public sealed class NetworkXmlTests
{
    [Fact]
    public void Build_Isolated_HasNoForwardAndDhcpWithReservations()
    {
        var def = new NetworkDefinition("kraut-a", Guid.NewGuid(), "none", "10.10.0.1", 24, "10.10.0.100", "10.10.0.199",
            [new DhcpHost("52:54:00:AA:00:01", "10.10.0.5", HostileName)], Domain: "vms.kraut", Mtu: 1400);

        var root = XElement.Parse(NetworkXml.Build(def));

        Assert.Equal("kraut-a", root.Element("name")!.Value);
        Assert.Equal(def.Uuid.ToString(), root.Element("uuid")!.Value);
        Assert.Null(root.Element("forward"));
        Assert.Equal("1400", (string?)root.Element("mtu")!.Attribute("size"));
        Assert.Equal("vms.kraut", (string?)root.Element("domain")!.Attribute("name"));
        var ip = root.Element("ip")!;
        Assert.Equal("10.10.0.1", (string?)ip.Attribute("address"));
        Assert.Equal("24", (string?)ip.Attribute("prefix"));
        var range = ip.Element("dhcp")!.Element("range")!;
        Assert.Equal("10.10.0.100", (string?)range.Attribute("start"));
        var host = ip.Element("dhcp")!.Element("host")!;
        Assert.Equal("52:54:00:aa:00:01", (string?)host.Attribute("mac"));
        Assert.Equal(HostileName, (string?)host.Attribute("name"));
    }

    [Fact]
    public void Build_Nat_WritesForwardMode()
    {
        var root = XElement.Parse(NetworkXml.Build(new NetworkDefinition("n", null, "nat", "192.168.150.1", 24, null, null, [])));

        Assert.Equal("nat", (string?)root.Element("forward")!.Attribute("mode"));
        Assert.Null(root.Element("uuid"));
        Assert.Null(root.Element("ip")!.Element("dhcp"));
    }

    [Theory]
    [InlineData("bridge", "10.0.0.1")]
    [InlineData("nat", "10.1")]
    [InlineData("nat", "fe80::1")]
    public void Build_RejectsBadInput(string mode, string address) =>
        Assert.Throws<ArgumentException>(() => NetworkXml.Build(new NetworkDefinition("n", null, mode, address, 24, null, null, [])));

    [Fact]
    public void Build_Ipv6WithReservations_KeysThemByDuidLl_AndDnsmasqOptionsUseLibvirtsNamespace()
    {
        var def = new NetworkDefinition("n", Guid.NewGuid(), "none", "10.10.0.1", 24, null, null, [new DhcpHost("52:54:00:aa:00:01", "10.10.0.5")])
        {
            Ipv6 = new Ipv6Definition("fd4b:1::1", 64, [new DhcpHost("52:54:00:AA:00:01", "fd4b:1::5", "web")]),
            DnsmasqOptions = ["dhcp-option=option:router,10.10.0.9"],
        };

        var root = XElement.Parse(NetworkXml.Build(def));

        var v6 = root.Elements("ip").Single(e => (string?)e.Attribute("family") == "ipv6");
        var host = v6.Element("dhcp")!.Element("host")!;
        Assert.Equal("00:03:00:01:52:54:00:aa:00:01", (string?)host.Attribute("id"));
        Assert.Null(host.Attribute("mac"));
        Assert.Equal("fd4b:1::5", (string?)host.Attribute("ip"));
        XNamespace dnsmasq = "http://libvirt.org/schemas/network/dnsmasq/1.0";
        Assert.Equal("dhcp-option=option:router,10.10.0.9", (string?)root.Element(dnsmasq + "options")!.Element(dnsmasq + "option")!.Attribute("value"));
    }

    [Fact]
    public void Build_Ipv6WithoutReservations_HasNoDhcp_SoLibvirtOnlySendsRouterAdvertisements()
    {
        var def = new NetworkDefinition("n", null, "none", null, 24, null, null, []) { Ipv6 = new Ipv6Definition("fd4b:1::1", 64, []) };

        var ip = XElement.Parse(NetworkXml.Build(def)).Element("ip")!;

        Assert.Equal("ipv6", (string?)ip.Attribute("family"));
        Assert.Null(ip.Element("dhcp"));
    }

    [Theory]
    [InlineData("dhcp-option=3\nconf-file=/etc/shadow")]
    [InlineData("dhcp-option=3\rdhcp-script=/bin/sh")]
    [InlineData(" ")]
    public void Build_RefusesAnOptionThatWouldBecomeMoreThanOneDnsmasqLine(string option) =>
        Assert.Throws<ArgumentException>(() => NetworkXml.Build(new NetworkDefinition("n", null, "none", "10.0.0.1", 24, null, null, [])
        {
            DnsmasqOptions = [option.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\r", "\r", StringComparison.Ordinal)],
        }));

    [Fact]
    public void Parse_ReadsBackWhatBuildWrote_AndShapeIgnoresOnlyReservations()
    {
        var def = new NetworkDefinition("n", Guid.NewGuid(), "nat", "10.10.0.1", 24, null, null, [new DhcpHost("52:54:00:aa:00:01", "10.10.0.5", "a")], "lab.test", 1400)
        {
            Ipv6 = new Ipv6Definition("fd4b:1::1", 64, [new DhcpHost("52:54:00:aa:00:01", "fd4b:1::5")]),
            DnsmasqOptions = ["dhcp-option=option:dns-server,9.9.9.9"],
        };

        var parsed = NetworkXml.Parse(NetworkXml.Build(def));

        Assert.Equal(NetworkXml.Build(def), NetworkXml.Build(parsed));
        Assert.Equal(def.Hosts, parsed.Hosts);
        Assert.Equal(def.Ipv6!.Hosts, parsed.Ipv6!.Hosts);
        Assert.Equal(NetworkXml.Shape(def), NetworkXml.Shape(def with { Hosts = [] }));
        Assert.NotEqual(NetworkXml.Shape(def), NetworkXml.Shape(def with { Mtu = 9000 }));
        Assert.NotEqual(NetworkXml.Shape(def), NetworkXml.Shape(def with { DnsmasqOptions = [] }));
        // A first IPv6 reservation (or the last one gone) needs a restart: libvirt's dnsmasq serves DHCPv6 only if it started with one.
        var twoV6 = def with { Ipv6 = def.Ipv6 with { Hosts = [.. def.Ipv6.Hosts, new DhcpHost("52:54:00:aa:00:02", "fd4b:1::6")] } };
        Assert.Equal(NetworkXml.Shape(def), NetworkXml.Shape(twoV6));
        Assert.NotEqual(NetworkXml.Shape(def), NetworkXml.Shape(def with { Ipv6 = def.Ipv6 with { Hosts = [] } }));
    }
}
