using System.Globalization;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Networks.Pages;

/// <summary>
/// The network form's fields as people type them (lists as lines or commas), turned into a <see cref="NetworkSpec"/>
/// without judging them: the server's rules check everything and name the field, which the form shows beside it.
/// </summary>
public sealed class NetworkFormModel
{
    public string Name { get; set; } = "";
    public string Ipv4Cidr { get; set; } = "";
    public Ipv4Mode Ipv4Mode { get; set; } = Ipv4Mode.Dhcp;
    public string Ipv6Prefix { get; set; } = "";
    public Ipv6Mode Ipv6Mode { get; set; } = Ipv6Mode.Slaac;
    public GatewayKind GatewayKind { get; set; } = GatewayKind.None;
    public bool Nat { get; set; }
    public string GatewayAddress { get; set; } = "";
    public Guid? GatewayVmId { get; set; }
    public Guid? GatewayNicId { get; set; }
    public string DnsServers { get; set; } = "";
    public string DnsDomain { get; set; } = "";
    public int? Mtu { get; set; }

    /// <summary>One route per line: <c>destination via address</c>.</summary>
    public string Routes { get; set; } = "";

    /// <summary>Addresses or ranges, one per line or comma-separated.</summary>
    public string Excluded { get; set; } = "";

    public bool VxlanOn { get; set; }
    public int Vni { get; set; } = 1;
    public string VxlanRemotes { get; set; } = "";
    public string VxlanGroup { get; set; } = "";
    public int VxlanPort { get; set; } = 4789;
    public string VxlanDevice { get; set; } = "";
    public string Description { get; set; } = "";

    public static NetworkFormModel From(string name, NetworkSpec spec) => new()
    {
        Name = name,
        Ipv4Cidr = spec.Ipv4Cidr ?? "",
        Ipv4Mode = spec.Ipv4Mode,
        Ipv6Prefix = spec.Ipv6Prefix ?? "",
        Ipv6Mode = spec.Ipv6Mode,
        GatewayKind = spec.Gateway.Kind,
        Nat = spec.Gateway.Nat,
        GatewayAddress = spec.Gateway.Address ?? "",
        GatewayVmId = spec.Gateway.VmId,
        GatewayNicId = spec.Gateway.NicId,
        DnsServers = string.Join(", ", spec.DnsServers),
        DnsDomain = spec.DnsDomain ?? "",
        Mtu = spec.Mtu,
        Routes = string.Join("\n", spec.Routes.Select(r => $"{r.Destination} via {r.Via}")),
        Excluded = string.Join("\n", spec.Excluded),
        VxlanOn = spec.Vxlan is not null,
        Vni = spec.Vxlan?.Vni ?? 1,
        VxlanRemotes = string.Join(", ", spec.Vxlan?.Remotes ?? []),
        VxlanGroup = spec.Vxlan?.Group ?? "",
        VxlanPort = spec.Vxlan?.Port ?? 4789,
        VxlanDevice = spec.Vxlan?.Device ?? "",
        Description = spec.Description ?? "",
    };

    public NetworkSpec ToSpec() => new()
    {
        Ipv4Cidr = Text(Ipv4Cidr),
        Ipv4Mode = Ipv4Mode,
        Ipv6Prefix = Text(Ipv6Prefix),
        Ipv6Mode = Ipv6Mode,
        Gateway = new GatewaySpec
        {
            Kind = GatewayKind,
            Nat = GatewayKind == GatewayKind.Host && Nat,
            Address = GatewayKind == GatewayKind.Address ? Text(GatewayAddress) : null,
            VmId = GatewayKind == GatewayKind.Vm ? GatewayVmId : null,
            NicId = GatewayKind == GatewayKind.Vm ? GatewayNicId : null,
        },
        DnsServers = Items(DnsServers),
        DnsDomain = Text(DnsDomain),
        Mtu = Mtu,
        Routes = Lines(Routes).Select(ParseRoute).ToList(),
        Excluded = Items(Excluded),
        Vxlan = VxlanOn
            ? new VxlanSpec { Vni = Vni, Remotes = Items(VxlanRemotes), Group = Text(VxlanGroup), Port = VxlanPort, Device = Text(VxlanDevice) }
            : null,
        Description = Text(Description),
    };

    /// <summary>"10.9.0.0/16 via 10.20.0.5" (or without "via"); anything else goes to the server as is, to be named there.</summary>
    private static RouteSpec ParseRoute(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !w.Equals("via", StringComparison.OrdinalIgnoreCase)).ToArray();
        return words.Length == 2 ? new RouteSpec(words[0], words[1]) : new RouteSpec(line.Trim(), "");
    }

    private static string? Text(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    private static string[] Lines(string value) => value.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    private static List<string> Items(string value) => [.. value.Split([',', '\n', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    public static string Number(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";
}

/// <summary>The server's field errors, looked up per form field; a list field also collects its items' errors.</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, string[]> _errors;

    public FieldErrors(IReadOnlyDictionary<string, string[]>? errors = null) => _errors = errors?.ToDictionary() ?? [];

    public static FieldErrors From(ValidationException e) => new(e.Errors);

    /// <summary>The fields the network form shows errors under (fields inside other components render later, so this is a list, not a record of calls).</summary>
    public static readonly string[] NetworkFormFields =
    [
        "name", "spec.ipv4Cidr", "spec.ipv6Prefix", "spec.gateway.nat", "spec.gateway.address", "spec.gateway.vmId", "spec.gateway.nicId",
        "spec.dnsServers", "spec.dnsDomain", "spec.mtu", "spec.routes", "spec.excluded", "spec.vxlan",
    ];

    public bool Any => _errors.Count > 0;

    /// <summary>Messages for <paramref name="field"/> (e.g. <c>spec.routes</c> also takes <c>spec.routes[0].via</c>).</summary>
    public string? For(string field)
    {
        var messages = _errors.Where(e => Matches(e.Key, field)).SelectMany(e => e.Value.Select(m => e.Key == field ? m : $"{Item(e.Key, field)}{m}")).ToList();
        return messages.Count == 0 ? null : string.Join(" ", messages);
    }

    /// <summary>Messages no field of <paramref name="fields"/> claims, for a summary above the button.</summary>
    public IEnumerable<string> Unclaimed(IEnumerable<string> fields) =>
        _errors.Where(e => !fields.Any(f => Matches(e.Key, f))).SelectMany(e => e.Value.Select(m => e.Key.Length == 0 ? m : $"{e.Key}: {m}"));

    private static bool Matches(string key, string field) =>
        key == field || key.StartsWith(field + "[", StringComparison.Ordinal) || key.StartsWith(field + ".", StringComparison.Ordinal);

    /// <summary>"spec.routes[1].via" under "spec.routes" reads "Line 2: ".</summary>
    private static string Item(string key, string field)
    {
        var rest = key[field.Length..];
        if (rest.StartsWith('[') && rest.IndexOf(']') is > 1 and var end && int.TryParse(rest[1..end], CultureInfo.InvariantCulture, out var index))
            return $"Item {index + 1}: ";
        return "";
    }
}
