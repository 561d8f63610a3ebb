using KrautPortal.Hypervisor;

namespace KrautPortal.Tests.Hypervisor;

public sealed class HostCapabilitiesTests
{
    private const string Xml = """
        <capabilities>
          <host><cpu><arch>x86_64</arch></cpu></host>
          <guest>
            <os_type>hvm</os_type>
            <arch name='x86_64'>
              <emulator>/usr/bin/qemu-system-x86_64</emulator>
              <machine maxCpus='255'>pc-i440fx-7.2</machine>
              <machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>
              <machine maxCpus='288'>q35</machine>
              <domain type='qemu'/>
              <domain type='kvm'><emulator>/usr/bin/kvm-wrapper</emulator></domain>
            </arch>
          </guest>
          <guest>
            <os_type>hvm</os_type>
            <arch name='aarch64'>
              <emulator>/usr/bin/qemu-system-aarch64</emulator>
              <machine>virt</machine>
              <domain type='qemu'/>
            </arch>
          </guest>
        </capabilities>
        """;

    [Fact]
    public void Parse_ReadsHostArchGuestsMachinesAndDomainTypes()
    {
        var caps = HostCapabilities.Parse(Xml);

        Assert.Equal("x86_64", caps.HostArch);
        var x86 = caps.FindGuest("x86_64")!;
        Assert.Equal("/usr/bin/qemu-system-x86_64", x86.Emulator);
        Assert.Equal(["pc-i440fx-7.2", "pc", "q35"], x86.Machines);
        Assert.True(x86.SupportsDomainType("kvm"));
        Assert.Equal("/usr/bin/kvm-wrapper", x86.EmulatorFor("kvm"));
        Assert.Equal("/usr/bin/qemu-system-x86_64", x86.EmulatorFor("qemu"));

        var arm = caps.FindGuest("aarch64")!;
        Assert.False(arm.SupportsDomainType("kvm"));
        Assert.Equal(["virt"], arm.Machines);
        Assert.Null(caps.FindGuest("riscv64"));
    }
}
