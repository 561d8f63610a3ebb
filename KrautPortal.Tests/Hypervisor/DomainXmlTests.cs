using System.Xml.Linq;
using KrautPortal.Hypervisor;
using static KrautPortal.Tests.Hypervisor.TestSupport;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>DomainXml as a pure function: no libvirt involved.</summary>
public sealed class DomainXmlTests
{
    private static DomainDefinition Sample(string domainType = "qemu", string arch = "x86_64") => new(
        Guid.Parse("3f2a7c1e-8d4b-4a6e-9c1f-0a1b2c3d4e5f"),
        "kraut-vm-1",
        "Web server",
        domainType,
        arch,
        "/usr/bin/qemu-system-x86_64",
        null,
        2,
        1024,
        [
            new DiskDefinition("/var/lib/kraut/vm1.qcow2", "qcow2", "vda", "virtio"),
            new DiskDefinition("/var/lib/kraut/install.iso", "raw", "sda", "sata", IsCdrom: true),
        ],
        [new NicDefinition("52:54:00:AA:BB:CC", "kraut-net")],
        "/var/log/kraut/vm1.serial.log",
        new KrautDomainMetadata(Guid.Parse("11111111-2222-3333-4444-555555555555"), "inst-1", "web", 4));

    [Fact]
    public void Build_ThenParse_RoundTripsTheSummary()
    {
        var d = Sample();

        var summary = DomainXml.Parse(DomainXml.Build(d));

        Assert.Equal(d.Uuid, summary.Uuid);
        Assert.Equal(d.Name, summary.Name);
        Assert.Equal(d.Title, summary.Title);
        Assert.Equal(2, summary.Vcpus);
        Assert.Equal(1024, summary.MemoryMiB);
        Assert.Equal(["52:54:00:aa:bb:cc"], summary.Macs);
        Assert.Equal(["/var/lib/kraut/vm1.qcow2", "/var/lib/kraut/install.iso"], summary.DiskPaths);
        Assert.Equal(d.Metadata, summary.Metadata);
    }

    [Fact]
    public void Build_WritesTheExpectedQemuDomain()
    {
        var root = XElement.Parse(DomainXml.Build(Sample()));

        Assert.Equal("qemu", (string?)root.Attribute("type"));
        Assert.Equal("MiB", (string?)root.Element("memory")?.Attribute("unit"));
        var type = root.Element("os")!.Element("type")!;
        Assert.Equal("x86_64", (string?)type.Attribute("arch"));
        Assert.Null(type.Attribute("machine"));
        Assert.Equal(["hd", "cdrom"], root.Element("os")!.Elements("boot").Select(b => (string?)b.Attribute("dev")));
        Assert.NotNull(root.Element("features")!.Element("acpi"));
        Assert.NotNull(root.Element("features")!.Element("apic"));
        Assert.Equal("maximum", (string?)root.Element("cpu")!.Attribute("mode")); // never host-passthrough under TCG
        Assert.Equal("destroy", root.Element("on_poweroff")!.Value);
        Assert.Equal("restart", root.Element("on_reboot")!.Value);

        var devices = root.Element("devices")!;
        Assert.Equal("/usr/bin/qemu-system-x86_64", devices.Element("emulator")!.Value);
        var disk = devices.Elements("disk").First();
        Assert.Equal("qcow2", (string?)disk.Element("driver")!.Attribute("type"));
        Assert.Equal("virtio", (string?)disk.Element("target")!.Attribute("bus"));
        var cdrom = devices.Elements("disk").Last();
        Assert.Equal("cdrom", (string?)cdrom.Attribute("device"));
        Assert.NotNull(cdrom.Element("readonly"));
        Assert.Equal("kraut-net", (string?)devices.Element("interface")!.Element("source")!.Attribute("network"));
        Assert.Equal("virtio", (string?)devices.Element("interface")!.Element("model")!.Attribute("type"));
        Assert.Equal("/var/log/kraut/vm1.serial.log", (string?)devices.Element("serial")!.Element("log")!.Attribute("file"));
        Assert.Equal("pty", (string?)devices.Element("console")!.Attribute("type"));
        Assert.Null(devices.Element("graphics")); // no VNC unless a socket is given
        Assert.Equal("/dev/urandom", devices.Element("rng")!.Element("backend")!.Value);
    }

    [Fact]
    public void Build_Kvm_UsesHostPassthrough()
    {
        var root = XElement.Parse(DomainXml.Build(Sample("kvm")));
        Assert.Equal("host-passthrough", (string?)root.Element("cpu")!.Attribute("mode"));
    }

    [Fact]
    public void Build_Aarch64_UsesVirtMachineAndUefi()
    {
        var root = XElement.Parse(DomainXml.Build(Sample(arch: "aarch64") with { Emulator = "/usr/bin/qemu-system-aarch64" }));

        var os = root.Element("os")!;
        Assert.Equal("efi", (string?)os.Attribute("firmware"));
        Assert.Equal("virt", (string?)os.Element("type")!.Attribute("machine"));
        Assert.Null(root.Element("features")!.Element("apic"));
    }

    [Fact]
    public void Build_DirectKernel_ReplacesBootDevices()
    {
        var d = Sample() with { DirectKernel = new DirectKernelBoot("/boot/vmlinuz", "/boot/initrd.img", "console=ttyS0") };

        var os = XElement.Parse(DomainXml.Build(d)).Element("os")!;

        Assert.Equal("/boot/vmlinuz", os.Element("kernel")!.Value);
        Assert.Equal("/boot/initrd.img", os.Element("initrd")!.Value);
        Assert.Equal("console=ttyS0", os.Element("cmdline")!.Value);
        Assert.Empty(os.Elements("boot"));
    }

    [Fact]
    public void Build_HostileStrings_StayTextInTheirElements()
    {
        var d = Sample() with
        {
            Name = HostileName,
            Title = HostileMetadata,
            Metadata = new KrautDomainMetadata(Guid.NewGuid(), HostileMetadata, HostileName, 1),
        };

        var xml = DomainXml.Build(d);
        var root = XElement.Parse(xml);

        Assert.Equal(HostileName, root.Element("name")!.Value);
        Assert.Equal(HostileMetadata, root.Element("title")!.Value);
        Assert.Single(root.Elements("devices"));
        Assert.Single(root.Elements("metadata"));
        Assert.Equal(2, root.Element("devices")!.Elements("disk").Count());
        Assert.Equal(d.Metadata, DomainXml.Parse(xml).Metadata);
    }

    [Fact]
    public void Build_CharactersXmlCannotCarry_AreRejectedNotWritten() =>
        Assert.Throws<ArgumentException>(() => DomainXml.Build(Sample() with { Title = "bell\u0007" }));

    [Fact]
    public void Build_MetadataLivesInKrautsNamespaceWithKrautPrefix()
    {
        var root = XElement.Parse(DomainXml.Build(Sample()));

        var instance = root.Element("metadata")!.Elements().Single();
        Assert.Equal(KrautDomainMetadata.NamespaceUri, instance.Name.NamespaceName);
        Assert.Equal("kraut", instance.GetPrefixOfNamespace(instance.Name.Namespace));
    }

    [Fact]
    public void BuildNic_IsTheSameElementTheDomainUses()
    {
        var d = Sample();

        var fromDomain = XElement.Parse(DomainXml.Build(d)).Element("devices")!.Element("interface")!;
        var alone = XElement.Parse(DomainXml.BuildNic(d.Nics[0]));

        Assert.True(XNode.DeepEquals(fromDomain, alone));
    }

    [Theory]
    [InlineData("52:54:00:aa:bb")]
    [InlineData("52-54-00-aa-bb-cc")]
    [InlineData("52:54:00:aa:bb:cc'/><x a='")]
    public void BuildNic_RejectsMalformedMac(string mac) =>
        Assert.Throws<ArgumentException>(() => DomainXml.BuildNic(new NicDefinition(mac, "net")));

    [Fact]
    public void Build_RejectsUnknownDiskFormat() =>
        Assert.Throws<ArgumentException>(() => DomainXml.Build(Sample() with
        {
            Disks = [new DiskDefinition("/x.vmdk", "vmdk", "vda", "virtio")],
        }));

    [Fact]
    public void Build_ScsiDisk_AddsVirtioScsiController()
    {
        var root = XElement.Parse(DomainXml.Build(Sample() with
        {
            Disks = [new DiskDefinition("/dev/vg/vm1", "raw", "sda", "scsi")],
        }));

        var devices = root.Element("devices")!;
        Assert.Equal("virtio-scsi", (string?)devices.Element("controller")!.Attribute("model"));
        Assert.Equal("block", (string?)devices.Element("disk")!.Attribute("type"));
        Assert.Equal("/dev/vg/vm1", (string?)devices.Element("disk")!.Element("source")!.Attribute("dev"));
    }

    [Fact]
    public void Parse_ConvertsLibvirtsKiBAndIgnoresForeignMetadata()
    {
        const string xml = """
            <domain type='kvm'>
              <name>foreign</name>
              <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
              <metadata><other:x xmlns:other='urn:other'><instance-id>nope</instance-id></other:x></metadata>
              <memory unit='KiB'>2097152</memory>
              <vcpu>4</vcpu>
              <devices>
                <interface type='bridge'><mac address='AA:BB:CC:DD:EE:FF'/></interface>
                <disk type='block' device='disk'><source dev='/dev/sdb'/></disk>
                <disk type='file' device='cdrom'><target dev='hdc'/></disk>
              </devices>
            </domain>
            """;

        var s = DomainXml.Parse(xml);

        Assert.Equal(2048, s.MemoryMiB);
        Assert.Equal(4, s.Vcpus);
        Assert.Equal(["aa:bb:cc:dd:ee:ff"], s.Macs);
        Assert.Equal(["/dev/sdb"], s.DiskPaths); // an empty CD drive has no source
        Assert.Null(s.Metadata);
        Assert.Null(s.Title);
    }
}
