using KrautPortal.Features.Hosts;

namespace KrautPortal.Features.Vms;

/// <summary>
/// The tail of a VM's serial console log, wherever virtlogd keeps it: the data directory for a VM on this machine, a
/// volume of the host's Kraut pool for a VM on another host, read there by a download stream over the connection.
/// </summary>
public sealed class VmConsoleLogs(KrautPaths paths, HostRegistry hosts, VmVolumes volumes)
{
    /// <summary>The host a VM's log must be fetched from, or null when it is a file of this machine.</summary>
    public KrautHost? RemoteHost(string? hostUri) => hosts.Find(hostUri) is { } host && VmVolumes.AreUsedOn(host) ? host : null;

    /// <summary>
    /// The last <paramref name="maxBytes"/> of the log (empty while there is none). For a remote host that cannot be
    /// reached the answer says so instead of failing: <see cref="ConsoleLogTail.Problem"/>.
    /// </summary>
    public async Task<ConsoleLogTail> TailAsync(Guid vmId, string? hostUri, int maxBytes, CancellationToken ct)
    {
        if (RemoteHost(hostUri) is not { } host) return new ConsoleLogTail(LocalTail(paths.ConsoleFor(vmId), maxBytes), null);
        try
        {
            return new ConsoleLogTail(await Task.Run(() => volumes.ConsoleTail(host, vmId, maxBytes), ct), null);
        }
        catch (Exception e) when (e is Hypervisor.LibvirtException or HostUnavailableException)
        {
            return new ConsoleLogTail([], $"The console log is kept on {host.Uri}, which did not hand it over: {e.Message}");
        }
    }

    /// <summary>The last <paramref name="maxBytes"/> of a log file of this machine; empty when there is none.</summary>
    public static byte[] LocalTail(string path, int maxBytes)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var start = Math.Max(0, file.Length - maxBytes);
            file.Seek(start, SeekOrigin.Begin);
            var bytes = new byte[file.Length - start];
            file.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}

/// <summary>A console log's tail; <paramref name="Problem"/> says why it could not be read (a remote host out of reach).</summary>
public sealed record ConsoleLogTail(byte[] Bytes, string? Problem);
