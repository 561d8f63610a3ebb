using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace KrautPortal.Hypervisor;

/// <summary>
/// Creates, checks, updates and removes VXLAN links on the machine this process runs on, with iproute2's
/// <c>ip</c> and <c>bridge</c> run from argument lists. Every operation makes the kernel match the definition,
/// whatever state a crash left behind, so calling it again is always safe.
/// </summary>
public static partial class VxlanLinks
{
    /// <summary>Outer IPv4 + UDP + VXLAN headers plus the inner Ethernet header.</summary>
    public const int Overhead = 50;

    private const string AllZerosMac = "00:00:00:00:00:00";

    /// <summary>Makes the link exist exactly as defined, as an up port of its bridge, and returns what the kernel then reports.</summary>
    public static async Task<VxlanLinkState> EnsureAsync(VxlanLinkDefinition definition, CancellationToken ct)
    {
        var d = Normalize(definition);
        // The kernel joins a multicast group on one interface; with none given, the one the route to the group uses.
        if (d.Group is not null && d.Device is null) d = d with { Device = await RouteDeviceAsync(d.Group, ct) };
        var existing = await FindAsync(d.Name, ct);
        if (existing is not null && !SameSegment(existing, d))
        {
            // VNI, port, group, underlay and learning are fixed when a link is made: a different one is a new link.
            await RemoveAsync(d.Name, ct);
            existing = null;
        }

        if (existing is null)
        {
            List<string> add = ["link", "add", d.Name, "type", "vxlan", "id", Text(d.Vni), "dstport", Text(d.Port)];
            if (d.Device is not null) add.AddRange(["dev", d.Device]);
            if (d.Group is not null) add.AddRange(["group", d.Group]);
            else add.Add("nolearning"); // unicast: the remotes below are the only destinations, no flood-and-learn
            await RunAsync("ip", add, ct);
            existing = await FindAsync(d.Name, ct) ?? throw new VxlanException($"{d.Name} vanished right after it was created.");
        }

        var mtu = d.Mtu ?? await UnderlayMtuAsync(d, ct) - Overhead;
        if (existing.Mtu != mtu || existing.Master != d.Bridge || !existing.AdminUp)
        {
            await RunAsync("ip", ["link", "set", "dev", d.Name, "mtu", Text(mtu), "master", d.Bridge, "up"], ct);
        }

        if (d.Group is null) await SyncRemotesAsync(d, ct);
        return await FindAsync(d.Name, ct) ?? throw new VxlanException($"{d.Name} vanished while it was being configured.");
    }

    /// <summary>The link as the kernel sees it, or null when there is none of that name.</summary>
    public static async Task<VxlanLinkState?> FindAsync(string name, CancellationToken ct)
    {
        RequireInterfaceName(name, nameof(name));
        var result = await ProcessRunner.RunAsync("ip", ["-d", "-j", "link", "show", "dev", name], ct);
        if (result.ExitCode != 0 || result.OutputTruncated)
        {
            if (result.StandardError.Contains("does not exist", StringComparison.Ordinal)) return null;
            throw Failed("ip", ["-d", "-j", "link", "show", "dev", name], result);
        }

        using var json = JsonDocument.Parse(result.StandardOutput);
        var link = json.RootElement[0];
        var remotes = await FdbRemotesAsync(name, ct);
        return ParseLink(link, remotes);
    }

    /// <summary>The names of all VXLAN links whose name starts with <paramref name="prefix"/>.</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken ct)
    {
        var json = await RunAsync("ip", ["-j", "link", "show", "type", "vxlan"], ct);
        using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "[]" : json);
        return doc.RootElement.EnumerateArray()
            .Select(l => l.GetProperty("ifname").GetString()!)
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .ToList();
    }

    /// <summary>
    /// Deletes the VXLAN links starting with <paramref name="prefix"/> that <paramref name="keep"/> does not name (left by a
    /// crash between removing their owner and its link); the names removed. The links are listed before
    /// <paramref name="keep"/> is asked, so a link made meanwhile for a new owner is never taken.
    /// </summary>
    public static async Task<IReadOnlyList<string>> RemoveOrphansAsync(string prefix, Func<Task<IEnumerable<string>>> keep, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(keep);
        var links = await ListAsync(prefix, ct);
        if (links.Count == 0) return [];
        var wanted = (await keep()).ToHashSet(StringComparer.Ordinal);
        var removed = new List<string>();
        foreach (var link in links.Where(l => !wanted.Contains(l)))
        {
            if (await RemoveAsync(link, ct)) removed.Add(link);
        }
        return removed;
    }

    /// <summary>Deletes the link; true if there was one.</summary>
    public static async Task<bool> RemoveAsync(string name, CancellationToken ct)
    {
        RequireInterfaceName(name, nameof(name));
        var result = await ProcessRunner.RunAsync("ip", ["link", "del", "dev", name], ct);
        if (result.ExitCode == 0) return true;
        if (result.StandardError.Contains("Cannot find device", StringComparison.Ordinal)
            || result.StandardError.Contains("does not exist", StringComparison.Ordinal)) return false;
        throw Failed("ip", ["link", "del", "dev", name], result);
    }

    internal static VxlanLinkState ParseLink(JsonElement link, IReadOnlyList<string> remotes)
    {
        var name = link.GetProperty("ifname").GetString()!;
        if (!link.TryGetProperty("linkinfo", out var info) || info.GetProperty("info_kind").GetString() != "vxlan")
        {
            // A name clash with something that is not ours to reshape: report it as a link with no segment.
            return new VxlanLinkState(name, 0, 0, null, null, false, link.GetProperty("mtu").GetInt32(), null, false, "not a VXLAN link", []);
        }
        var data = info.GetProperty("info_data");
        string? Str(JsonElement e, string p) => e.TryGetProperty(p, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var group = Str(data, "group") ?? Str(data, "group6");
        var flags = link.TryGetProperty("flags", out var f) ? f.EnumerateArray().Select(x => x.GetString()).ToList() : [];
        return new VxlanLinkState(
            Name: name,
            Vni: data.GetProperty("id").GetInt32(),
            Port: data.TryGetProperty("port", out var port) ? port.GetInt32() : 0,
            Group: group,
            Device: Str(data, "link"),
            Learning: data.TryGetProperty("learning", out var learning) && learning.GetBoolean(),
            Mtu: link.GetProperty("mtu").GetInt32(),
            Master: Str(link, "master"),
            AdminUp: flags.Contains("UP"),
            OperState: Str(link, "operstate") ?? "UNKNOWN",
            Remotes: group is null ? remotes : []);
    }

    private static bool SameSegment(VxlanLinkState s, VxlanLinkDefinition d) =>
        s.Vni == d.Vni && s.Port == d.Port && s.Group == d.Group && s.Learning == (d.Group is not null)
        && (d.Device is null ? s.Device is null : s.Device == d.Device);

    private static async Task SyncRemotesAsync(VxlanLinkDefinition d, CancellationToken ct)
    {
        var current = await FdbRemotesAsync(d.Name, ct);
        foreach (var remote in d.Remotes.Except(current))
            await RunAsync("bridge", ["fdb", "append", AllZerosMac, "dst", remote, "dev", d.Name], ct);
        foreach (var stale in current.Except(d.Remotes))
            await RunAsync("bridge", ["fdb", "del", AllZerosMac, "dst", stale, "dev", d.Name], ct);
    }

    private static async Task<IReadOnlyList<string>> FdbRemotesAsync(string name, CancellationToken ct)
    {
        var json = await RunAsync("bridge", ["-j", "fdb", "show", "dev", name], ct);
        using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "[]" : json);
        return doc.RootElement.EnumerateArray()
            .Where(e => e.TryGetProperty("mac", out var mac) && mac.GetString() == AllZerosMac && e.TryGetProperty("dst", out _))
            .Select(e => e.GetProperty("dst").GetString()!)
            .ToList();
    }

    /// <summary>The MTU of the interface the encapsulated packets leave by.</summary>
    private static async Task<int> UnderlayMtuAsync(VxlanLinkDefinition d, CancellationToken ct)
    {
        var device = d.Device;
        if (device is null && d.Remotes.Count > 0) device = await RouteDeviceAsync(d.Remotes[0], ct);
        if (device is null)
        {
            var route = await RunAsync("ip", ["-j", "route", "show", "default"], ct);
            using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(route) ? "[]" : route);
            device = doc.RootElement.EnumerateArray().Select(r => r.TryGetProperty("dev", out var dev) ? dev.GetString() : null).FirstOrDefault(x => x is not null);
        }
        if (device is null) throw new VxlanException("No underlay interface: give the VXLAN a device, or give this host a route to its remotes.");

        var json = await RunAsync("ip", ["-j", "link", "show", "dev", device], ct);
        using var link = JsonDocument.Parse(json);
        return link.RootElement[0].GetProperty("mtu").GetInt32();
    }

    private static async Task<string> RouteDeviceAsync(string destination, CancellationToken ct)
    {
        var route = await RunAsync("ip", ["-j", "route", "get", destination], ct);
        using var doc = JsonDocument.Parse(route);
        return doc.RootElement.EnumerateArray().Select(r => r.TryGetProperty("dev", out var dev) ? dev.GetString() : null).FirstOrDefault(x => x is not null)
            ?? throw new VxlanException($"This host has no route to {destination}: give the VXLAN a device.");
    }

    /// <summary>Checks everything that reaches a command line and puts addresses in the kernel's own notation, so comparisons are exact.</summary>
    internal static VxlanLinkDefinition Normalize(VxlanLinkDefinition d)
    {
        ArgumentNullException.ThrowIfNull(d);
        RequireInterfaceName(d.Name, "name");
        RequireInterfaceName(d.Bridge, "bridge");
        if (d.Device is not null) RequireInterfaceName(d.Device, "device");
        if (d.Vni is < 1 or > 16_777_215) throw new VxlanException($"VNI {d.Vni} is outside 1..16777215.");
        if (d.Port is < 1 or > 65_535) throw new VxlanException($"Port {d.Port} is outside 1..65535.");
        if (d.Mtu is < 68 or > 65_535) throw new VxlanException($"MTU {d.Mtu} is outside 68..65535.");

        var remotes = d.Remotes.Select(r => Address(r, "remote")).ToList();
        if (remotes.Any(IsMulticast)) throw new VxlanException("A remote must be a unicast address; use the group for multicast.");
        if (remotes.Select(r => r.AddressFamily).Distinct().Count() > 1) throw new VxlanException("Remotes must be all IPv4 or all IPv6.");
        string? group = null;
        if (d.Group is not null)
        {
            var g = Address(d.Group, "group");
            if (!IsMulticast(g)) throw new VxlanException($"Group {g} is not a multicast address.");
            if (remotes.Count > 0) throw new VxlanException("Give remotes or a multicast group, not both.");
            group = g.ToString();
        }
        return d with { Remotes = remotes.Select(r => r.ToString()).Distinct().ToList(), Group = group };
    }

    private static IPAddress Address(string text, string what)
    {
        // IPAddress.TryParse also takes "10.1" and "167772161"; only the dotted quad is meant here.
        if (!IPAddress.TryParse(text, out var address) || (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
            || (address.AddressFamily == AddressFamily.InterNetwork && text.Count(c => c == '.') != 3))
            throw new VxlanException($"The {what} '{text}' is not an IP address.");
        return address;
    }

    private static bool IsMulticast(IPAddress a) =>
        a.AddressFamily == AddressFamily.InterNetworkV6 ? a.IsIPv6Multicast : (a.GetAddressBytes()[0] & 0xF0) == 0xE0;

    private static void RequireInterfaceName(string name, string what)
    {
        if (!InterfaceName().IsMatch(name ?? "")) throw new VxlanException($"'{name}' is not a usable {what} interface name (1-15 letters, digits, '.', '_' or '-').");
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$")]
    private static partial Regex InterfaceName();

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static async Task<string> RunAsync(string tool, IReadOnlyList<string> args, CancellationToken ct)
    {
        var result = await ProcessRunner.RunAsync(tool, args, ct);
        if (result.ExitCode != 0 || result.OutputTruncated) throw Failed(tool, args, result);
        return result.StandardOutput;
    }

    private static VxlanException Failed(string tool, IReadOnlyList<string> args, ProcessRunner.Result result) =>
        new($"{tool} {string.Join(' ', args)} failed ({result.ExitCode}{(result.OutputTruncated ? ", output over its limit" : "")}): {result.StandardError.Trim()}");
}
