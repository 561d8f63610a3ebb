using System.Net;
using System.Net.Sockets;

namespace KrautPortal.Hypervisor;

/// <summary>
/// Where a live migration's target listens, as an IP address: the source QEMU connects there for memory and disks, so
/// it must be an address the source host reaches, never a host name the source might resolve differently.
/// </summary>
public static class MigrationAddress
{
    /// <summary>The address in a remote libvirt URI (qemu+tcp://10.0.0.2/system), a name in it resolved here; null for a local URI.</summary>
    public static IPAddress? OfRemoteUri(string uri)
    {
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || string.IsNullOrEmpty(parsed.Host)) return null;
        var host = parsed.Host.Trim('[', ']');
        if (IPAddress.TryParse(host, out var ip)) return ip;
        return Dns.GetHostAddresses(host).OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).FirstOrDefault()
            ?? throw new InvalidOperationException($"{host} (of {uri}) has no address.");
    }

    /// <summary>
    /// This machine's own address on its route toward <paramref name="peer"/> (the address <paramref name="peer"/> sees
    /// it connect from): where a host reached at <paramref name="peer"/> reaches this machine. Asks the kernel's routing
    /// by connecting a UDP socket, which sends nothing.
    /// </summary>
    public static IPAddress LocalToward(IPAddress peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        using var socket = new Socket(peer.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(new IPEndPoint(peer, 9));
        return ((IPEndPoint)socket.LocalEndPoint!).Address;
    }
}
