using System.Text.Json;

namespace KrautPortal.Tests.Support;

/// <summary>Reads the host's links with iproute2 itself, an observer independent of the code under test.</summary>
public static class HostLinks
{
    /// <summary><c>ip -d -j link show dev NAME</c>, or null when there is no such link.</summary>
    public static JsonElement? Show(string name)
    {
        var (status, stdout, stderr) = Tool.Try("ip", "-d", "-j", "link", "show", "dev", name);
        if (status != 0)
        {
            if (stderr.Contains("does not exist", StringComparison.Ordinal)) return null;
            throw new InvalidOperationException($"ip link show {name} failed: {stderr}");
        }
        return JsonDocument.Parse(stdout).RootElement[0].Clone();
    }

    public static int Vni(JsonElement link) => link.GetProperty("linkinfo").GetProperty("info_data").GetProperty("id").GetInt32();

    public static int Port(JsonElement link) => link.GetProperty("linkinfo").GetProperty("info_data").GetProperty("port").GetInt32();

    public static string? Master(JsonElement link) => link.TryGetProperty("master", out var m) ? m.GetString() : null;

    /// <summary>The remote VTEPs: destinations of the all-zeros FDB entries (<c>bridge -j fdb show dev NAME</c>).</summary>
    public static IReadOnlyList<string> Remotes(string name, string? netns = null)
    {
        var json = netns is null ? Tool.Run("bridge", "-j", "fdb", "show", "dev", name) : Tool.Run("ip", "netns", "exec", netns, "bridge", "-j", "fdb", "show", "dev", name);
        return JsonDocument.Parse(json.Length == 0 ? "[]" : json).RootElement.EnumerateArray()
            .Where(e => e.GetProperty("mac").GetString() == "00:00:00:00:00:00" && e.TryGetProperty("dst", out _))
            .Select(e => e.GetProperty("dst").GetString()!).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// <see cref="Remotes"/>, or null while the link is missing: Kraut replaces a network's VXLAN link (same name) when its
    /// remotes change, and a look between the delete and the add finds no device.
    /// </summary>
    public static IReadOnlyList<string>? RemotesIfPresent(string name)
    {
        if (Show(name) is null) return null;
        try
        {
            return Remotes(name);
        }
        catch (InvalidOperationException) when (Show(name) is null)
        {
            return null;
        }
    }

    /// <summary>MAC addresses a VXLAN link learned, with the VTEP each was learned from.</summary>
    public static IReadOnlyDictionary<string, string> Learned(string name, string netns)
    {
        var json = Tool.Run("ip", "netns", "exec", netns, "bridge", "-j", "fdb", "show", "dev", name);
        return JsonDocument.Parse(json.Length == 0 ? "[]" : json).RootElement.EnumerateArray()
            .Where(e => e.GetProperty("mac").GetString() != "00:00:00:00:00:00" && e.TryGetProperty("dst", out _))
            .GroupBy(e => e.GetProperty("mac").GetString()!)
            .ToDictionary(g => g.Key, g => g.First().GetProperty("dst").GetString()!);
    }

    /// <summary>The MTU of the interface the host would send to <paramref name="destination"/> by.</summary>
    public static int RouteMtu(string destination)
    {
        var dev = JsonDocument.Parse(Tool.Run("ip", "-j", "route", "get", destination)).RootElement[0].GetProperty("dev").GetString()!;
        return Show(dev)!.Value.GetProperty("mtu").GetInt32();
    }

    /// <summary>Deletes a link if it is there (test clean-up).</summary>
    public static void Delete(string name) => Tool.Try("ip", "link", "del", "dev", name);

    public static string RandomSuffix(int length) => Guid.NewGuid().ToString("N")[..length];
}
