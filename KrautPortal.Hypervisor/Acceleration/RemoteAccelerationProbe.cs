using System.Diagnostics;
using System.Text;

namespace KrautPortal.Hypervisor;

/// <summary>
/// The KVM probe for a host that is not this machine: no QEMU of this machine can test that host's CPU, and its
/// capabilities list kvm whenever its /dev/kvm opens, also where nested KVM is broken. So the probe runs there, over the
/// connection: the probe kernel is uploaded into the host's pool (once), a transient kvm domain boots it with its serial
/// console logged into the pool, and the log, read back by stream, must show "Linux version" within the timeout.
/// </summary>
public static class RemoteAccelerationProbe
{
    private const string BootMarker = "Linux version";

    public static async Task<AccelerationDecision> DetectAsync(LibvirtConnection connection, LibvirtStoragePool pool, HostCapabilities caps,
        string arch, string? probeKernel, string instanceId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(caps);
        var guest = caps.FindGuest(arch);
        var kernel = AccelerationProbe.ChooseKernel(probeKernel, "/boot");
        KernelProbeResult? probe = null;
        if (guest?.SupportsDomainType("kvm") == true && kernel is not null && guest.EmulatorFor("kvm") is not null)
            probe = await BootAsync(connection, pool, arch, kernel, instanceId, AccelerationProbe.ProbeTimeout, ct);
        // libvirt on that host lists kvm only when its /dev/kvm opened: that is the remote "/dev/kvm exists".
        var decision = AccelerationProbe.Decide(arch, guest, devKvmExists: true, probeKernel, kernel, probe);
        return decision with { Reason = "remote host: " + decision.Reason };
    }

    private static async Task<KernelProbeResult> BootAsync(LibvirtConnection connection, LibvirtStoragePool pool, string arch, string kernel,
        string instanceId, TimeSpan timeout, CancellationToken ct)
    {
        var started = Stopwatch.StartNew();
        string kernelOnHost;
        try
        {
            kernelOnHost = await Task.Run(() => pool.UploadOnce($"kvm-probe-kernel-{new FileInfo(kernel).Length}.raw", kernel, ct), ct);
        }
        catch (LibvirtException e)
        {
            return new KernelProbeResult(false, $"could not upload the probe kernel to the host: {e.Message}");
        }
        var id = Guid.NewGuid();
        var log = $"kvm-probe-{id:N}.log";
        var definition = new DomainDefinition(
            Uuid: id, Name: $"kraut-kvm-probe-{id:N}"[..24], Title: "Kraut KVM probe", DomainType: "kvm", Arch: arch, Emulator: null,
            Machine: null, Vcpus: 1, MemoryMiB: 128, Disks: [], Nics: [], SerialLogPath: pool.Path.TrimEnd('/') + "/" + log,
            Metadata: new KrautDomainMetadata(id, instanceId, "kvm-probe", 0),
            DirectKernel: new DirectKernelBoot(kernelOnHost, null, $"console={(arch == "aarch64" ? "ttyAMA0" : "ttyS0")} panic=-1"));
        LibvirtDomain? domain = null;
        try
        {
            try
            {
                domain = connection.CreateTransientDomain(DomainXml.Build(definition));
            }
            catch (LibvirtException e)
            {
                // Where nested KVM is broken QEMU may die at once ("failed to set MSR") instead of hanging.
                return new KernelProbeResult(false, $"the host could not start a kvm domain: {e.LibvirtMessage ?? e.Message}");
            }
            while (started.Elapsed < timeout + TimeSpan.FromSeconds(2))
            {
                if (ReadLog(pool, log).Contains(BootMarker, StringComparison.Ordinal))
                    return new KernelProbeResult(true, $"'{BootMarker}' on its serial console after {started.Elapsed.TotalSeconds:0.0} s");
                if (!domain.IsActive) return new KernelProbeResult(false, "the probe domain stopped before its kernel printed anything");
                await Task.Delay(250, ct);
            }
            return new KernelProbeResult(false, $"no '{BootMarker}' on the serial console within {timeout.TotalSeconds:0} s");
        }
        finally
        {
            if (domain is not null)
            {
                try
                {
                    if (domain.IsActive) domain.Destroy();
                }
                catch (LibvirtException)
                {
                    // A transient domain that stopped by itself is gone already.
                }
                domain.Dispose();
            }
            await DeleteLogAsync(pool, log);
        }
    }

    /// <summary>
    /// virtlogd may still be closing the log when the domain is gone, and a log it writes once more after a delete comes
    /// back: deleted until a rescan no longer finds it (a few tries; a leftover log is harmless).
    /// </summary>
    private static async Task DeleteLogAsync(LibvirtStoragePool pool, string name)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            try
            {
                pool.Refresh();
                using var volume = pool.FindVolume(name);
                if (volume is null) return;
                volume.Delete();
            }
            catch (LibvirtException)
            {
                // tried again below
            }
            await Task.Delay(100);
        }
    }

    private static string ReadLog(LibvirtStoragePool pool, string name)
    {
        pool.Refresh();
        using var volume = pool.FindVolume(name);
        if (volume is null) return "";
        using var buffer = new MemoryStream();
        volume.Download(buffer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
