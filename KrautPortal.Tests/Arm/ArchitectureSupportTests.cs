using KrautPortal.Features.Hosts;
using KrautPortal.Hypervisor;

namespace KrautPortal.Tests.Arm;

/// <summary>
/// How a host runs a guest arch, judged from libvirt's capabilities: for host kinds this machine is not (an arm64 host,
/// a host without the arm emulator); the real x86_64 host with broken nested KVM is in <see cref="Aarch64GuestTests"/>.
/// </summary>
public sealed class ArchitectureSupportTests
{
    private static HostCapabilities Caps(string hostArch, params (string Arch, string[] Types)[] guests) => HostCapabilities.Parse($"""
        <capabilities>
          <host><cpu><arch>{hostArch}</arch></cpu></host>
          {string.Concat(guests.Select(g => $"<guest><os_type>hvm</os_type><arch name='{g.Arch}'><emulator>/usr/bin/qemu-system-{g.Arch}</emulator>"
              + string.Concat(g.Types.Select(t => $"<domain type='{t}'/>")) + "</arch></guest>"))}
        </capabilities>
        """);

    private static ArchitectureSupport Judge(HostCapabilities? caps, string arch, bool allow = false, string? error = null) =>
        KrautHost.JudgeArchitecture(arch, "qemu+ssh://h1/system", isDemo: false, caps, error, caps?.FindGuest(arch), allow);

    [Fact]
    public void OnAnArm64HostWithKvm_Aarch64IsNative_AndX86IsEmulated()
    {
        var caps = Caps("aarch64", ("aarch64", ["qemu", "kvm"]), ("x86_64", ["qemu"]));

        Assert.Equal((ArchitectureSupportKind.Native, true), (Judge(caps, "aarch64").Kind, Judge(caps, "aarch64").CanRun));
        Assert.Equal("aarch64: native", Judge(caps, "aarch64").Summary);
        var x86 = Judge(caps, "x86_64");
        Assert.Equal((ArchitectureSupportKind.Emulated, false), (x86.Kind, x86.CanRun));
        Assert.Contains("only emulated (QEMU's TCG on aarch64", x86.Reason, StringComparison.Ordinal);
        Assert.Equal("x86_64: emulated (slow), not allowed", x86.Summary);
    }

    [Fact]
    public void TheHostsOwnArch_IsNativeEvenWithoutKvm_SoEmulationSwitchNeverRefusesIt()
    {
        // No /dev/kvm: libvirt lists only the qemu domain type, yet the guest runs the host's own instruction set.
        var caps = Caps("x86_64", ("x86_64", ["qemu"]), ("aarch64", ["qemu"]));

        Assert.Equal((ArchitectureSupportKind.Native, true), (Judge(caps, "x86_64").Kind, Judge(caps, "x86_64").CanRun));
        Assert.Equal((ArchitectureSupportKind.Emulated, false), (Judge(caps, "aarch64").Kind, Judge(caps, "aarch64").CanRun));
    }

    [Fact]
    public void AllowingEmulation_LetsTheEmulatedArchRun_AndSaysItIsSlow()
    {
        var caps = Caps("x86_64", ("x86_64", ["qemu", "kvm"]), ("aarch64", ["qemu"]));

        var arm = Judge(caps, "aarch64", allow: true);

        Assert.Equal((ArchitectureSupportKind.Emulated, true), (arm.Kind, arm.CanRun));
        Assert.Equal("aarch64: emulated (slow)", arm.Summary);
        Assert.Equal("qemu+ssh://h1/system runs aarch64 guests emulated (QEMU's TCG on x86_64): slow.", arm.Reason);
    }

    [Fact]
    public void WithoutAnEmulator_OrUnreached_TheHostCannotRunIt_AndSaysWhy()
    {
        var caps = Caps("x86_64", ("x86_64", ["qemu", "kvm"]));

        var missing = Judge(caps, "aarch64", allow: true);
        Assert.Equal((ArchitectureSupportKind.No, false), (missing.Kind, missing.CanRun));
        Assert.Equal("qemu+ssh://h1/system has no emulator for aarch64 guests (install Debian's qemu-system-arm on the host).", missing.Reason);

        var unreached = Judge(null, "x86_64", allow: true, error: "Cannot reach qemu+ssh://h1/system: connection refused");
        Assert.Equal((ArchitectureSupportKind.No, false), (unreached.Kind, unreached.CanRun));
        Assert.Equal("Cannot reach qemu+ssh://h1/system: connection refused", unreached.Reason);
    }
}
