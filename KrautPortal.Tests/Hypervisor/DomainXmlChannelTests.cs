using System.Xml.Linq;
using KrautPortal.Hypervisor;
using KrautPortal.Hypervisor.Routers;
using static KrautPortal.Tests.Hypervisor.TestSupport;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>
/// The agent channel of a domain (routers) and the QEMU guest agent's port (every other VM): written through the XML API
/// and read back.
/// </summary>
public sealed class DomainXmlChannelTests
{
    private static DomainDefinition Router(ChannelDefinition? channel) =>
        TestDriverDomain("kraut-router-1", "router", Metadata("router")) with { DomainType = "qemu", Arch = "x86_64", AgentChannel = channel };

    [Fact]
    public void Build_AgentChannel_IsAUnixSocketQemuBindsWithAVirtioTarget()
    {
        var xml = DomainXml.Build(Router(RouterAgentClient.Channel("/var/lib/kraut/router-agents/abc.sock")));

        var channel = Assert.Single(XElement.Parse(xml).Element("devices")!.Elements("channel"));
        Assert.Equal("unix", (string?)channel.Attribute("type"));
        Assert.Equal("bind", (string?)channel.Element("source")!.Attribute("mode"));
        Assert.Equal("/var/lib/kraut/router-agents/abc.sock", (string?)channel.Element("source")!.Attribute("path"));
        Assert.Equal("virtio", (string?)channel.Element("target")!.Attribute("type"));
        Assert.Equal("org.kraut.agent", (string?)channel.Element("target")!.Attribute("name"));
        Assert.Equal(new ChannelDefinition("/var/lib/kraut/router-agents/abc.sock", "org.kraut.agent"), DomainXml.Parse(xml).AgentChannel);
    }

    [Fact]
    public void Build_NoChannel_WritesNone()
    {
        var xml = DomainXml.Build(Router(null));

        Assert.Empty(XElement.Parse(xml).Element("devices")!.Elements("channel"));
        Assert.Null(DomainXml.Parse(xml).AgentChannel);
    }

    [Fact]
    public void Build_GuestAgent_IsAVirtioPortLibvirtPlacesItself_AndIsNeverTakenForKrautsAgentChannel()
    {
        var xml = DomainXml.Build(Router(null) with { GuestAgent = true });

        var channel = Assert.Single(XElement.Parse(xml).Element("devices")!.Elements("channel"));
        Assert.Equal("unix", (string?)channel.Attribute("type"));
        Assert.Null(channel.Element("source"));
        Assert.Equal("virtio", (string?)channel.Element("target")!.Attribute("type"));
        Assert.Equal("org.qemu.guest_agent.0", (string?)channel.Element("target")!.Attribute("name"));
        Assert.Null(DomainXml.Parse(xml).AgentChannel);
        // As libvirt reads it back, with the socket it chose.
        channel.Add(new XElement("source", new XAttribute("mode", "bind"), new XAttribute("path", "/run/libvirt/qemu/channel/1-x/org.qemu.guest_agent.0")));
        var both = XElement.Parse(DomainXml.Build(Router(RouterAgentClient.Channel("/var/lib/kraut/router-agents/abc.sock"))));
        both.Element("devices")!.AddFirst(channel);
        Assert.Equal("org.kraut.agent", DomainXml.Parse(both.ToString()).AgentChannel!.TargetName);
    }

    [Fact]
    public void Build_HostilePath_StaysAnAttributeValue()
    {
        var path = "/tmp/" + HostileName + ".sock";

        var xml = DomainXml.Build(Router(new ChannelDefinition(path, "org.kraut.agent")));

        Assert.Equal(path, DomainXml.Parse(xml).AgentChannel!.SocketPath);
        Assert.Single(XElement.Parse(xml).Element("devices")!.Elements("channel"));
    }

    [Theory]
    [InlineData("relative.sock", "org.kraut.agent", "absolute")]
    [InlineData("/tmp/a.sock", "org kraut", "port name")]
    [InlineData("/tmp/a.sock", "", "port name")]
    public void Build_BadChannel_IsRefusedNamingWhatIsWrong(string path, string name, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => DomainXml.Build(Router(new ChannelDefinition(path, name))));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_SocketPathLongerThanSunPath_IsRefused()
    {
        var path = "/" + new string('a', DomainXml.MaxSocketPathBytes);

        var e = Assert.Throws<ArgumentException>(() => DomainXml.Build(Router(new ChannelDefinition(path, "org.kraut.agent"))));
        Assert.Contains("longer than 107 bytes", e.Message, StringComparison.Ordinal);
    }
}
