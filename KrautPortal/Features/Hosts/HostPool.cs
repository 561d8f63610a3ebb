using KrautPortal.Features.Reconciling;
using KrautPortal.Hypervisor;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Hosts;

/// <summary>
/// This Kraut instance's storage pool on a host that is not this machine: a directory pool
/// <c>kraut-&lt;instance&gt;</c> in <c>Kraut:HostDataDirectory/&lt;instance&gt;</c> (default /var/lib/kraut), defined and
/// started on first use. Its own per instance, so another portal on the same host never takes its volumes for orphans.
/// </summary>
public sealed class HostPool(KrautInstance instance, IOptions<KrautOptions> options)
{
    public const string DefaultHostDataDirectory = "/var/lib/kraut";
    private readonly Lock _lock = new();

    /// <summary>Whether VMs on <paramref name="host"/> use the pool; this machine's host uses the data directory's files directly.</summary>
    public static bool IsUsedOn(KrautHost host) => !host.IsLocal && !host.IsDemo;

    public string Name => $"kraut-{instance.ShortId}";

    public string Directory => (options.Value.HostDataDirectory is { Length: > 0 } dir ? dir : DefaultHostDataDirectory).TrimEnd('/') + "/" + instance.ShortId;

    /// <summary>The host's pool, defined, built and started when missing.</summary>
    public LibvirtStoragePool Open(KrautHost host) => Open(host.Connection);

    public LibvirtStoragePool Open(LibvirtConnection connection)
    {
        // Several steps of one VM (disk, seed, the KVM probe) open it at once; two first definitions would collide.
        lock (_lock) return connection.EnsureDirectoryPool(Name, Directory);
    }

    /// <summary>
    /// The disk of a remote host's data directory, read from libvirt (what capacity and placement need for a host that
    /// is not this machine, whose data directory the portal cannot stat).
    /// </summary>
    public (long CapacityBytes, long AvailableBytes) DiskSpace(KrautHost host)
    {
        using var pool = Open(host);
        pool.Refresh();
        return pool.GetInfo();
    }

    /// <summary>The pool when it exists and runs, else null (nothing of Kraut's can be there).</summary>
    public LibvirtStoragePool? FindRunning(KrautHost host)
    {
        var pool = host.Connection.FindStoragePool(Name);
        if (pool is null || pool.IsActive) return pool;
        pool.Dispose();
        return null;
    }
}
