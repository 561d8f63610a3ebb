using System.Xml.Linq;
using KrautPortal.Hypervisor;
using static KrautPortal.Tests.Hypervisor.TestSupport;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>The consoles' part of DomainXml: a pty serial that still logs to a file, VNC only on a Unix socket.</summary>
public sealed class ConsoleDomainXmlTests
{
    private const string Log = "/var/lib/kraut/consoles/vm1.log";
    private const string Socket = "/var/lib/kraut/vnc/0123456789abcdef0123456789abcdef.sock";

    private static DomainDefinition Sample(string? vncSocket = Socket) => new(
        Guid.NewGuid(), "kraut-vm-1", "Web server", "qemu", "x86_64", "/usr/bin/qemu-system-x86_64", null, 1, 512,
        [new DiskDefinition("/var/lib/kraut/vm1.qcow2", "qcow2", "vda", "virtio")], [], Log, Metadata(),
        VncSocketPath: vncSocket);

    private static XElement Devices(DomainDefinition d) => XElement.Parse(DomainXml.Build(d)).Element("devices")!;

    [Fact]
    public void Serial_IsAPty_WhoseOutputIsAppendedToTheLogFile()
    {
        var devices = Devices(Sample());

        var serial = Assert.Single(devices.Elements("serial"));
        Assert.Equal("pty", (string?)serial.Attribute("type"));
        Assert.Null(serial.Element("source")); // libvirt allocates the pty itself
        Assert.Equal(Log, (string?)serial.Element("log")!.Attribute("file"));
        Assert.Equal("on", (string?)serial.Element("log")!.Attribute("append"));
        Assert.Equal("0", (string?)serial.Element("target")!.Attribute("port"));

        var console = Assert.Single(devices.Elements("console"));
        Assert.Equal("pty", (string?)console.Attribute("type"));
        Assert.Equal("serial", (string?)console.Element("target")!.Attribute("type"));
        Assert.Equal("0", (string?)console.Element("target")!.Attribute("port"));
    }

    [Fact]
    public void Vnc_ListensOnlyOnTheUnixSocket_WithAVgaCard()
    {
        var devices = Devices(Sample());

        var graphics = Assert.Single(devices.Elements("graphics"));
        Assert.Equal("vnc", (string?)graphics.Attribute("type"));
        Assert.Equal(["type"], graphics.Attributes().Select(a => a.Name.LocalName)); // no port, autoport, listen or passwd
        var listen = Assert.Single(graphics.Elements());
        Assert.Equal("listen", listen.Name.LocalName);
        Assert.Equal("socket", (string?)listen.Attribute("type"));
        Assert.Equal(Socket, (string?)listen.Attribute("socket"));
        Assert.Null(listen.Attribute("address"));
        Assert.Null(listen.Attribute("network"));
        Assert.Equal("vga", (string?)Assert.Single(devices.Elements("video")).Element("model")!.Attribute("type"));
    }

    [Fact]
    public void NoVncSocket_MeansNoGraphicsAndNoVideo()
    {
        var devices = Devices(Sample(vncSocket: null));

        Assert.Empty(devices.Elements("graphics"));
        Assert.Empty(devices.Elements("video"));
    }

    [Fact]
    public void Vnc_SocketPath_MustBeAbsoluteAndFitSunPath()
    {
        Assert.Throws<ArgumentException>(() => DomainXml.Build(Sample(vncSocket: "vnc/relative.sock")));
        Assert.Throws<ArgumentException>(() => DomainXml.Build(Sample(vncSocket: "/" + new string('v', DomainXml.MaxSocketPathBytes))));
    }

    [Fact]
    public void NoSerialLog_MeansNoSerialAndNoConsole()
    {
        var devices = Devices(Sample() with { SerialLogPath = null });

        Assert.Empty(devices.Elements("serial"));
        Assert.Empty(devices.Elements("console"));
    }
}
