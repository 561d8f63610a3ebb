using System.Xml.Linq;
using KrautPortal.Hypervisor;

namespace KrautPortal.Tests.Arm;

/// <summary>The domain XML for aarch64 guests, as a pure function; the x86_64 XML next to it stays as it was.</summary>
public sealed class Aarch64DomainXmlTests
{
    private static DomainDefinition Vm(string arch, string domainType) => new(
        Guid.Parse("0a0a0a0a-1b1b-4c4c-8d8d-2e2e2e2e2e2e"),
        "kraut-arm-1",
        "arm",
        domainType,
        arch,
        arch == "aarch64" ? "/usr/bin/qemu-system-aarch64" : "/usr/bin/qemu-system-x86_64",
        arch == "aarch64" ? "virt" : null,
        1,
        512,
        [new DiskDefinition("/var/lib/kraut/disks/arm.qcow2", "qcow2", "vda", "virtio"), new DiskDefinition("/var/lib/kraut/seed.iso", "raw", "sda", "scsi", IsCdrom: true)],
        [new NicDefinition("52:54:00:0a:0b:0c", "kraut-net")],
        "/var/lib/kraut/consoles/arm.log",
        new KrautDomainMetadata(Guid.Parse("0a0a0a0a-1b1b-4c4c-8d8d-2e2e2e2e2e2e"), "inst", "arm", 1),
        Firmware: arch == "aarch64" ? "efi" : "bios",
        VncSocketPath: "/run/kraut/vnc/arm.sock");

    [Fact]
    public void Aarch64UnderTcg_IsAVirtMachineOnPlainAavmf_WithACortexA57AndAPl011Console()
    {
        var root = XElement.Parse(DomainXml.Build(Vm("aarch64", "qemu")));

        Assert.Equal("qemu", (string?)root.Attribute("type"));
        var os = root.Element("os")!;
        Assert.Equal("aarch64", (string?)os.Element("type")!.Attribute("arch"));
        Assert.Equal("virt", (string?)os.Element("type")!.Attribute("machine"));
        Assert.Equal("efi", (string?)os.Attribute("firmware"));
        // Without this libvirt picks the Secure Boot build with Microsoft's keys, which refuses unsigned loaders.
        var secureBoot = Assert.Single(os.Element("firmware")!.Elements("feature"));
        Assert.Equal(("no", "secure-boot"), ((string?)secureBoot.Attribute("enabled"), (string?)secureBoot.Attribute("name")));
        Assert.Equal("hd", (string?)os.Element("boot")!.Attribute("dev"));

        var cpu = root.Element("cpu")!;
        Assert.Equal("custom", (string?)cpu.Attribute("mode"));
        Assert.Equal("cortex-a57", cpu.Element("model")!.Value);
        Assert.NotNull(root.Element("features")!.Element("acpi"));
        Assert.Null(root.Element("features")!.Element("apic"));

        var devices = root.Element("devices")!;
        var serialTarget = devices.Element("serial")!.Element("target")!;
        Assert.Equal("system-serial", (string?)serialTarget.Attribute("type"));
        Assert.Equal("pl011", (string?)serialTarget.Element("model")!.Attribute("name"));
        Assert.Equal("virtio", (string?)devices.Element("video")!.Element("model")!.Attribute("type"));
        Assert.Equal(["keyboard", "tablet"], devices.Elements("input").Select(i => (string?)i.Attribute("type")));
        Assert.All(devices.Elements("input"), i => Assert.Equal("usb", (string?)i.Attribute("bus")));
        Assert.Equal("qemu-xhci", (string?)devices.Elements("controller").Single(c => (string?)c.Attribute("type") == "usb").Attribute("model"));
        Assert.Equal("/usr/bin/qemu-system-aarch64", devices.Element("emulator")!.Value);
    }

    [Fact]
    public void Aarch64UnderKvm_PassesTheHostCpuThrough()
    {
        var root = XElement.Parse(DomainXml.Build(Vm("aarch64", "kvm")));

        Assert.Equal("host-passthrough", (string?)root.Element("cpu")!.Attribute("mode"));
        Assert.Equal("virt", (string?)root.Element("os")!.Element("type")!.Attribute("machine"));
    }

    [Fact]
    public void X86_64_KeepsItsBiosVgaAndMaximumCpu()
    {
        var root = XElement.Parse(DomainXml.Build(Vm("x86_64", "qemu")));

        var os = root.Element("os")!;
        Assert.Null(os.Attribute("firmware"));
        Assert.Null(os.Element("firmware"));
        Assert.Null(os.Element("type")!.Attribute("machine"));
        Assert.Equal("maximum", (string?)root.Element("cpu")!.Attribute("mode"));
        var devices = root.Element("devices")!;
        Assert.Null(devices.Element("serial")!.Element("target")!.Attribute("type"));
        Assert.Equal("vga", (string?)devices.Element("video")!.Element("model")!.Attribute("type"));
        Assert.Empty(devices.Elements("input"));
        Assert.NotNull(root.Element("features")!.Element("apic"));
    }
}
