using System.Collections.Concurrent;
using KrautPortal.Features.Hosts;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Snapshots;

/// <summary>
/// The libvirt version of each host, asked once per connection and kept: capability checks run on every page render
/// and request, and a version does not change while the daemon runs (a restarted daemon means a new connection).
/// </summary>
public sealed class SnapshotHostVersions(HostRegistry hosts)
{
    private readonly ConcurrentDictionary<string, (LibvirtConnection Connection, Version Libvirt)> _known = new();

    /// <summary>The host's libvirt version, or null when the host is not configured or does not answer.</summary>
    public Version? LibvirtOf(string? uri)
    {
        if (hosts.Find(uri) is not { } host || !host.TryConnect()) return null;
        try
        {
            var connection = host.Connection;
            if (_known.TryGetValue(host.Uri, out var known) && ReferenceEquals(known.Connection, connection)) return known.Libvirt;
            var version = connection.GetLibvirtVersion();
            _known[host.Uri] = (connection, version);
            return version;
        }
        catch (Exception e) when (e is LibvirtException or HostUnavailableException or ObjectDisposedException)
        {
            return null;
        }
    }
}
