using System.Text.Json;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Hosts;

/// <summary>
/// Remembers the KVM probe's verdict until the machine reboots: a broken KVM costs the probe's full timeout,
/// which a portal restart should not pay again.
/// </summary>
public sealed class AccelerationCache(KrautPaths paths) : IDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private string File => Path.Combine(paths.Root, "acceleration.json");

    public async Task<AccelerationDecision> GetOrProbeAsync(string uri, string arch, HostCapabilities capabilities, string? probeKernel)
    {
        var key = $"{uri}|{arch}|{BootId()}";
        await _lock.WaitAsync();
        try
        {
            var cache = Load();
            if (cache.TryGetValue(key, out var known)) return known;
            // Only a local libvirtd runs QEMU on this machine; for a remote host the probe would test the wrong CPU.
            var decision = IsLocal(uri)
                ? await AccelerationProbe.DetectAsync(capabilities, arch, probeKernel, CancellationToken.None)
                : new AccelerationDecision(capabilities.FindGuest(arch)?.SupportsDomainType("kvm") == true ? "kvm" : "qemu",
                    "remote host: taken from its capabilities", ProbeRan: false);
            cache[key] = decision;
            await System.IO.File.WriteAllTextAsync(File, JsonSerializer.Serialize(cache));
            return decision;
        }
        finally
        {
            _lock.Release();
        }
    }

    private Dictionary<string, AccelerationDecision> Load()
    {
        try
        {
            return System.IO.File.Exists(File)
                ? JsonSerializer.Deserialize<Dictionary<string, AccelerationDecision>>(System.IO.File.ReadAllText(File)) ?? []
                : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    public void Dispose() => _lock.Dispose();

    private static bool IsLocal(string uri) => uri.StartsWith("qemu:///", StringComparison.Ordinal);

    private static string BootId()
    {
        const string path = "/proc/sys/kernel/random/boot_id";
        return System.IO.File.Exists(path) ? System.IO.File.ReadAllText(path).Trim() : "unknown";
    }
}
