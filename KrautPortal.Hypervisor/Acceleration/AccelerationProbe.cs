using System.Diagnostics;
using System.Text;

namespace KrautPortal.Hypervisor;

/// <summary>Decides between kvm and qemu (TCG) by checking that KVM really boots a kernel.</summary>
/// <remarks>
/// libvirt lists kvm whenever /dev/kvm opens, but under nested virtualisation KVM can be present and
/// broken (the guest hangs with no output). The only honest test is to boot something. Nothing is
/// cached here; the caller caches the decision.
/// </remarks>
public static class AccelerationProbe
{
    internal static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);
    internal const string DevKvm = "/dev/kvm";
    private const string BootMarker = "Linux version";

    public static async Task<AccelerationDecision> DetectAsync(HostCapabilities caps, string arch, string? probeKernel, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caps);
        ArgumentException.ThrowIfNullOrWhiteSpace(arch);

        var guest = caps.FindGuest(arch);
        var kernel = ChooseKernel(probeKernel, "/boot");
        var emulator = guest?.EmulatorFor("kvm");
        var devKvm = File.Exists(DevKvm);
        KernelProbeResult? probe = null;
        if (guest?.SupportsDomainType("kvm") == true && devKvm && kernel is not null && emulator is not null)
        {
            probe = await BootKernelAsync(emulator, "kvm", arch, kernel, ProbeTimeout, ct);
        }

        return Decide(arch, guest, devKvm, probeKernel, kernel, probe);
    }

    /// <summary>The decision itself, free of I/O so every branch can be tested.</summary>
    internal static AccelerationDecision Decide(
        string arch, GuestCapabilities? guest, bool devKvmExists, string? configuredKernel, string? kernel, KernelProbeResult? probe)
    {
        if (guest is null)
        {
            return new("qemu", $"the host capabilities offer no {arch} guest; nothing to accelerate", false);
        }

        if (!guest.SupportsDomainType("kvm"))
        {
            return new("qemu", $"libvirt's capabilities offer no kvm domain type for {arch}", false);
        }

        if (!devKvmExists)
        {
            return new("qemu", $"libvirt lists kvm for {arch} but {DevKvm} does not exist", false);
        }

        var kernelNote = configuredKernel is not null && kernel != configuredKernel
            ? $" (configured probe kernel {configuredKernel} not found)"
            : "";

        if (kernel is null)
        {
            return new("kvm", $"no kernel to boot for the KVM probe{kernelNote}; trusting libvirt's capabilities", false);
        }

        if (probe is null)
        {
            return new("kvm", $"no emulator listed for {arch}; trusting libvirt's capabilities{kernelNote}", false);
        }

        return probe.Booted
            ? new("kvm", $"KVM probe booted {kernel} ({probe.Detail}){kernelNote}", true)
            : new("qemu", $"KVM probe failed to boot {kernel}: {probe.Detail}; KVM is listed but broken, using TCG{kernelNote}", true);
    }

    /// <summary>The configured kernel if it exists, else the newest vmlinuz-* in <paramref name="bootDir"/>.</summary>
    internal static string? ChooseKernel(string? configured, string bootDir)
    {
        if (configured is not null && File.Exists(configured))
        {
            return configured;
        }

        if (!Directory.Exists(bootDir))
        {
            return null;
        }

        return Directory.EnumerateFiles(bootDir, "vmlinuz-*")
            .Select(f => new FileInfo(f))
            .OrderByDescending(f => f.LastWriteTimeUtc)
            .ThenByDescending(f => f.Name, StringComparer.Ordinal)
            .FirstOrDefault()?.FullName;
    }

    /// <summary>Boots <paramref name="kernel"/> under <paramref name="accel"/> until "Linux version" shows on
    /// the serial port or the timeout passes; QEMU is killed either way.</summary>
    internal static async Task<KernelProbeResult> BootKernelAsync(
        string emulator, string accel, string arch, string kernel, TimeSpan timeout, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("kraut-accel-probe-");
        var serial = Path.Combine(dir.FullName, "serial.log");
        var isAarch64 = arch == "aarch64";
        string[] args =
        [
            "-accel", accel, "-nodefaults", "-display", "none", "-no-reboot", "-m", "128",
            ..(isAarch64 ? new[] { "-machine", "virt", "-cpu", accel == "kvm" ? "host" : "max" } : []),
            "-serial", $"file:{serial}",
            "-kernel", kernel,
            "-append", $"console={(isAarch64 ? "ttyAMA0" : "ttyS0")} panic=-1",
        ];

        var started = Stopwatch.StartNew();
        using var booted = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watch = WatchSerialAsync(serial, booted);
        try
        {
            // Seeing the marker is the success: it stops QEMU the same way cancellation does.
            var result = await ProcessRunner.RunAsync(emulator, args, new ToolLimits(timeout, null, null, 64 << 10), null, booted.Token);
            if (SerialContains(serial, BootMarker)) return Booted(started);
            if (result.TimedOut) return new(false, $"no '{BootMarker}' on the serial console within {timeout.TotalSeconds:0} s");
            var err = result.StandardError.Trim();
            return new(false, $"QEMU exited with {result.ExitCode} after {started.Elapsed.TotalSeconds:0.0} s"
                + (err.Length > 0 ? $": {Truncate(err)}" : ""));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Booted(started);
        }
        finally
        {
            await booted.CancelAsync();
            await watch;
            dir.Delete(recursive: true);
        }
    }

    private static KernelProbeResult Booted(Stopwatch started) =>
        new(true, $"'{BootMarker}' on the serial console after {started.Elapsed.TotalSeconds:0.0} s");

    /// <summary>Cancels <paramref name="booted"/> once the marker shows on the serial console.</summary>
    private static async Task WatchSerialAsync(string serial, CancellationTokenSource booted)
    {
        while (!booted.IsCancellationRequested)
        {
            if (SerialContains(serial, BootMarker))
            {
                await booted.CancelAsync();
                return;
            }

            await Task.Delay(100, booted.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static bool SerialContains(string path, string marker)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        // QEMU keeps the file open for writing; share it so the read does not fail.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd().Contains(marker, StringComparison.Ordinal);
    }

    private static string Truncate(string s) => s.Length <= 300 ? s : s[..300] + "...";
}
