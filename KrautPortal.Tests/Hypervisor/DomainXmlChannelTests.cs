using System.Xml.Linq;
using KrautPortal.Hypervisor;
using KrautPortal.Hypervisor.Routers;
using static KrautPortal.Tests.Hypervisor.TestSupport;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>The agent channel of a domain (routers): written through the XML API and read back.</summary>
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
