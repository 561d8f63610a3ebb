using System.Text.Json;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Hosts;

/// <summary>
/// Remembers the KVM probe's verdict until the machine reboots: a broken KVM costs the probe's full timeout,
/// which a restart should not pay again. Kept in /run (emptied at boot, shared by every Kraut instance on the
/// machine); the data directory when /run is not writable.
/// </summary>
public sealed class AccelerationCache(KrautPaths paths, HostPool hostPool, Reconciling.KrautInstance instance) : IDisposable
{
    private const string RunDirectory = "/run/kraut";
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly string _file = ChooseFile(paths);

    public async Task<AccelerationDecision> GetOrProbeAsync(string uri, string arch, HostCapabilities capabilities, string? probeKernel)
    {
        // This machine's boot id says nothing about another host's reboots (or its KVM module changing): a remote host
        // is probed there, over its connection, once per portal start (KrautHost keeps the answer), never cached here.
        if (!IsLocal(uri)) return await ProbeRemoteAsync(uri, arch, capabilities, probeKernel);
        var key = $"{uri}|{arch}|{BootId()}";
        await _lock.WaitAsync();
        try
        {
            var cache = Load();
            if (cache.TryGetValue(key, out var known)) return known;
            var decision = await AccelerationProbe.DetectAsync(capabilities, arch, probeKernel, CancellationToken.None);
            cache[key] = decision;
            // Written aside and renamed: another instance may be reading it.
            var temporary = $"{_file}.{Environment.ProcessId}.tmp";
            await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(cache));
            File.Move(temporary, _file, overwrite: true);
            return decision;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<AccelerationDecision> ProbeRemoteAsync(string uri, string arch, HostCapabilities capabilities, string? probeKernel)
    {
        // A connection of its own: the probe must not hold up the host's shared one, and is closed when done.
        using var connection = LibvirtConnection.Open(uri);
        using var pool = hostPool.Open(connection);
        return await RemoteAccelerationProbe.DetectAsync(connection, pool, capabilities, arch, probeKernel, instance.Id, CancellationToken.None);
    }

    private Dictionary<string, AccelerationDecision> Load()
    {
        try
        {
            return File.Exists(_file)
                ? JsonSerializer.Deserialize<Dictionary<string, AccelerationDecision>>(File.ReadAllText(_file)) ?? []
                : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    public void Dispose() => _lock.Dispose();

    private static string ChooseFile(KrautPaths paths)
    {
        try
        {
            Directory.CreateDirectory(RunDirectory);
            return Path.Combine(RunDirectory, "acceleration.json");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Path.Combine(paths.Root, "acceleration.json");
        }
    }

    private static bool IsLocal(string uri) => uri.StartsWith("qemu:///", StringComparison.Ordinal);

    private static string BootId()
    {
        const string path = "/proc/sys/kernel/random/boot_id";
        return File.Exists(path) ? File.ReadAllText(path).Trim() : "unknown";
    }
}
