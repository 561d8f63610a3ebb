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
}
