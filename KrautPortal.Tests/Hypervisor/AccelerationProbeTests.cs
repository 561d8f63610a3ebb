using KrautPortal.Hypervisor;

namespace KrautPortal.Tests.Hypervisor;

public sealed class AccelerationProbeTests
{
    private static GuestCapabilities Guest(params string[] domainTypes) => new(
        "hvm", "x86_64", "/usr/bin/qemu-system-x86_64", ["pc"],
        domainTypes.Select(t => new GuestDomainCapabilities(t, null, [])).ToList());

    /// <summary>
    /// Holds on every machine the README targets: no /dev/kvm (no probe, TCG), /dev/kvm with broken nested KVM (the
    /// probe fails, TCG) and working KVM (the probe boots, kvm). What "working" means here is decided independently:
    /// QEMU itself is asked to boot the same kernel under KVM, outside the code under test.
    /// </summary>
    [Fact]
    public async Task DetectAsync_OnThisHost_ChoosesKvmOnlyWhereKvmReallyBoots()
    {
        // The test guest's kernel: a fresh machine has no /boot kernel to fall back on.
        var kernel = TestGuest.KernelPath;
        using var conn = LibvirtConnection.Open(TestSupport.SystemUri);
        var caps = conn.GetCapabilities();
        var guest = caps.FindGuest("x86_64");
        Assert.NotNull(guest);

        var decision = await AccelerationProbe.DetectAsync(caps, "x86_64", kernel, CancellationToken.None);

        if (!File.Exists("/dev/kvm") || !guest.SupportsDomainType("kvm"))
        {
            Assert.Equal("qemu", decision.DomainType);
            Assert.False(decision.ProbeRan);
            return;
        }

        var kvmBoots = await AccelerationProbe.BootKernelAsync(
            guest.EmulatorFor("kvm")!, "kvm", "x86_64", kernel, TimeSpan.FromSeconds(20), CancellationToken.None);
        Assert.True(decision.ProbeRan, decision.Reason);
        if (kvmBoots.Booted)
        {
            Assert.Equal("kvm", decision.DomainType);
        }
        else
        {
            Assert.Equal("qemu", decision.DomainType);
            Assert.Contains("KVM probe failed", decision.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task BootKernelAsync_UnderTcg_SeesLinuxBoot()
    {
        // The probe machinery itself must be able to say yes, or "qemu" above would prove nothing.
        var kernel = TestGuest.KernelPath;

        var result = await AccelerationProbe.BootKernelAsync(
            "/usr/bin/qemu-system-x86_64", "tcg", "x86_64", kernel, TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.True(result.Booted, result.Detail);
    }

    [Fact]
    public async Task BootKernelAsync_NotAKernel_ReportsQemuExit()
    {
        var notAKernel = Path.GetTempFileName();
        try
        {
            var result = await AccelerationProbe.BootKernelAsync(
                "/usr/bin/qemu-system-x86_64", "tcg", "x86_64", notAKernel, TimeSpan.FromSeconds(10), CancellationToken.None);

            Assert.False(result.Booted);
            Assert.Contains("QEMU exited", result.Detail, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(notAKernel);
        }
    }

    [Fact]
    public void Decide_NoKvmInCapabilities_IsQemuWithoutProbe()
    {
        var d = AccelerationProbe.Decide("x86_64", Guest("qemu"), true, null, "/boot/vmlinuz", null);
        Assert.Equal("qemu", d.DomainType);
        Assert.False(d.ProbeRan);
    }

    [Fact]
    public void Decide_NoDevKvm_IsQemu()
    {
        var d = AccelerationProbe.Decide("x86_64", Guest("qemu", "kvm"), false, null, "/boot/vmlinuz", null);
        Assert.Equal("qemu", d.DomainType);
        Assert.Contains("/dev/kvm", d.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_NoKernelToProbe_TrustsCapabilities()
    {
        var d = AccelerationProbe.Decide("x86_64", Guest("qemu", "kvm"), true, "/nonexistent/vmlinuz", null, null);
        Assert.Equal("kvm", d.DomainType);
        Assert.False(d.ProbeRan);
        Assert.Contains("trusting", d.Reason, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/vmlinuz", d.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_FollowsTheProbe()
    {
        var yes = AccelerationProbe.Decide("x86_64", Guest("qemu", "kvm"), true, null, "/k", new KernelProbeResult(true, "ok"));
        var no = AccelerationProbe.Decide("x86_64", Guest("qemu", "kvm"), true, null, "/k", new KernelProbeResult(false, "hung"));

        Assert.Equal("kvm", yes.DomainType);
        Assert.True(yes.ProbeRan);
        Assert.Equal("qemu", no.DomainType);
        Assert.Contains("hung", no.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_NoGuestForArch_IsQemu()
    {
        var d = AccelerationProbe.Decide("aarch64", null, true, null, "/k", null);
        Assert.Equal("qemu", d.DomainType);
        Assert.Contains("aarch64", d.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ChooseKernel_PrefersConfiguredThenNewestInBoot()
    {
        var boot = Directory.CreateTempSubdirectory("kraut-boot-");
        try
        {
            var old = Path.Combine(boot.FullName, "vmlinuz-6.1.0-1-amd64");
            var newer = Path.Combine(boot.FullName, "vmlinuz-6.1.0-2-amd64");
            File.WriteAllText(old, "");
            File.WriteAllText(newer, "");
            File.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddDays(-2));
            File.SetLastWriteTimeUtc(newer, DateTime.UtcNow.AddDays(-1));

            Assert.Equal(newer, AccelerationProbe.ChooseKernel(null, boot.FullName));
            Assert.Equal(newer, AccelerationProbe.ChooseKernel("/nonexistent/vmlinuz", boot.FullName));
            Assert.Equal(old, AccelerationProbe.ChooseKernel(old, boot.FullName));
            Assert.Null(AccelerationProbe.ChooseKernel(null, Path.Combine(boot.FullName, "empty")));
        }
        finally
        {
            boot.Delete(recursive: true);
        }
    }
}
