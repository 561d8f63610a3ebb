using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace KrautPortal.Tests.Support;

/// <summary>Subnets for real-libvirt tests that no local interface uses (other test runs' networks included).</summary>
public static class TestSubnets
{
    /// <summary>A free 10.x.y /24 prefix ("10.x.y") with x in [<paramref name="lowOctet"/>, <paramref name="highOctet"/>):
    /// each test class keeps its own band, so classes running side by side do not pick the same one.</summary>
    public static string FreePrefix(int lowOctet, int highOctet)
    {
        var used = NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Where(a => a.Address.AddressFamily == AddressFamily.InterNetwork)
            .Select(a => string.Join('.', a.Address.ToString().Split('.')[..3]))
            .ToHashSet();
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var prefix = $"10.{Random.Shared.Next(lowOctet, highOctet)}.{Random.Shared.Next(0, 256)}";
            if (!used.Contains(prefix)) return prefix;
        }
        throw new InvalidOperationException($"no free /24 in 10.{lowOctet}-{highOctet - 1}.x.0");
    }
}
