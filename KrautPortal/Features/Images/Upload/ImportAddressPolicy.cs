using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Images.Upload;

/// <summary>Why an import may not go somewhere, in words a person can act on.</summary>
public sealed class ImportRefusedException(string message) : Exception(message);

/// <summary>
/// Where URL import may connect: public addresses only, so an import cannot reach the portal itself, its network
/// or a cloud metadata service, unless an administrator allows a host or network (<see cref="ImagesOptions.ImportAllowList"/>).
/// </summary>
public sealed class ImportAddressPolicy
{
    public const int MaxUrlLength = 2048;
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(5);

    private readonly HashSet<string> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _domainSuffixes = [];
    private readonly List<IPNetwork> _networks = [];

    public ImportAddressPolicy(IOptions<ImagesOptions> options)
    {
        foreach (var entry in options.Value.ImportAllowList)
        {
            switch (ParseAllowEntry(entry))
            {
                case IPNetwork network: _networks.Add(network); break;
                case string suffix when suffix.StartsWith('.'): _domainSuffixes.Add(suffix); break;
                case string host: _hosts.Add(host); break;
                default: throw new OptionsValidationException(nameof(ImagesOptions), typeof(ImagesOptions), [AllowEntryProblem(entry)!]);
            }
        }
    }

    /// <summary>Special-purpose ranges no import may reach by default (IANA's "not globally reachable", mostly).</summary>
    private static readonly (IPNetwork Network, string What)[] ForbiddenRanges =
    [
        (IPNetwork.Parse("255.255.255.255/32"), "the broadcast address"),
        (IPNetwork.Parse("0.0.0.0/8"), "an unspecified (\"this network\") address"),
        (IPNetwork.Parse("10.0.0.0/8"), "a private address (RFC 1918)"),
        (IPNetwork.Parse("100.64.0.0/10"), "a carrier-grade NAT address (RFC 6598)"),
        (IPNetwork.Parse("127.0.0.0/8"), "a loopback address"),
        (IPNetwork.Parse("169.254.0.0/16"), "a link-local address (where cloud metadata services answer)"),
        (IPNetwork.Parse("172.16.0.0/12"), "a private address (RFC 1918)"),
        (IPNetwork.Parse("192.0.0.0/24"), "an IETF protocol address"),
        (IPNetwork.Parse("192.0.2.0/24"), "a documentation address"),
        (IPNetwork.Parse("192.168.0.0/16"), "a private address (RFC 1918)"),
        (IPNetwork.Parse("198.18.0.0/15"), "a benchmarking address"),
        (IPNetwork.Parse("198.51.100.0/24"), "a documentation address"),
        (IPNetwork.Parse("203.0.113.0/24"), "a documentation address"),
        (IPNetwork.Parse("224.0.0.0/4"), "a multicast address"),
        (IPNetwork.Parse("240.0.0.0/4"), "a reserved address"),
        (IPNetwork.Parse("::/128"), "an unspecified address"),
        (IPNetwork.Parse("::1/128"), "a loopback address"),
        (IPNetwork.Parse("::/96"), "an IPv4-compatible address (deprecated)"),
        (IPNetwork.Parse("64:ff9b:1::/48"), "a local-use NAT64 address"),
        (IPNetwork.Parse("100::/64"), "a discard-only address"),
        (IPNetwork.Parse("2001:db8::/32"), "a documentation address"),
        (IPNetwork.Parse("fc00::/7"), "a private (unique local) address"),
        (IPNetwork.Parse("fe80::/10"), "a link-local address"),
        (IPNetwork.Parse("fec0::/10"), "a site-local address (deprecated)"),
        (IPNetwork.Parse("ff00::/8"), "a multicast address"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    /// <summary>What kind of address this is when imports may not reach it by default; null for a public address.</summary>
    public static string? Forbidden(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var (network, what) in ForbiddenRanges)
        {
            if (network.Contains(address)) return what;
        }
        // Addresses that carry an IPv4 address inside reach it through a gateway: judge the inner one.
        if (Nat64.Contains(address) || SixToFour.Contains(address))
        {
            var bytes = address.GetAddressBytes();
            var inner = new IPAddress(Nat64.Contains(address) ? bytes[12..16] : bytes[2..6]);
            if (Forbidden(inner) is { } what) return $"{what} wrapped in IPv6 ({inner})";
        }
        return null;
    }

    /// <summary>May an import for <paramref name="host"/> connect to <paramref name="address"/>?</summary>
    public bool Permits(string host, IPAddress address) =>
        Forbidden(address) is null || AllowsHost(host) || AllowsAddress(address);

    private bool AllowsHost(string host)
    {
        host = NormalHost(host);
        return _hosts.Contains(host) || _domainSuffixes.Any(s => host.EndsWith(s, StringComparison.OrdinalIgnoreCase));
    }

    private bool AllowsAddress(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return _networks.Any(n => n.Contains(address));
    }

    /// <summary>The checks that need no name lookup: scheme, credentials, and a host that is an address.</summary>
    public void CheckUrl(Uri url)
    {
        if (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
            throw new ImportRefusedException($"Only http and https URLs can be imported, not {url.Scheme}.");
        if (url.UserInfo.Length > 0)
            throw new ImportRefusedException("URLs with a user name or password are not accepted: the URL is kept in the image's status for everyone who can see the image.");
        if (url.Host.Length == 0) throw new ImportRefusedException("The URL names no host.");
        if (IPAddress.TryParse(NormalHost(url.Host), out var literal) && !Permits(url.Host, literal))
            throw new ImportRefusedException(Refusal(url.Host, literal));
    }

    /// <summary>
    /// The checks at request time: the URL, and where its host name points now. The connection checks again,
    /// address by address, because a name can point elsewhere a second later.
    /// </summary>
    public async Task<Uri> CheckRequestAsync(string raw, CancellationToken ct)
    {
        if (raw.Length > MaxUrlLength) throw new ImportRefusedException($"The URL is {raw.Length} characters long; at most {MaxUrlLength} are accepted.");
        if (!Uri.TryCreate(raw, UriKind.Absolute, out var url))
            throw new ImportRefusedException($"'{raw}' is not an absolute URL; give one such as https://example.com/images/disk.qcow2.");
        CheckUrl(url);
        var host = NormalHost(url.Host);
        if (IPAddress.TryParse(host, out _) || AllowsHost(host)) return url;
        var addresses = await ResolveAsync(host, ct);
        if (!addresses.Any(a => Permits(host, a))) throw new ImportRefusedException(Refusal(host, addresses[0]));
        return url;
    }

    public static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ResolveTimeout);
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host, timeout.Token);
        }
        catch (SocketException e)
        {
            throw new ImportRefusedException($"The host name {host} could not be resolved ({e.Message}).");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ImportRefusedException($"The host name {host} could not be resolved within {ResolveTimeout.TotalSeconds:0} seconds.");
        }
        return addresses.Length > 0 ? addresses : throw new ImportRefusedException($"The host name {host} has no addresses.");
    }

    public string Refusal(string host, IPAddress address)
    {
        var what = Forbidden(address) ?? "an address this import may not use";
        var named = NormalHost(host) == address.ToString() ? address.ToString() : $"{NormalHost(host)} resolves to {address}, which";
        return $"{named} is {what}. Kraut does not import from loopback, private, link-local or other internal addresses, so that an import cannot reach " +
            "services inside your network; an administrator can allow a host or network with Images:ImportAllowList.";
    }

    /// <summary>Why an allow-list entry is not one (a host name, *.domain, an address or a CIDR); null when it is.</summary>
    public static string? AllowEntryProblem(string entry) =>
        ParseAllowEntry(entry) is null
            ? $"Images:ImportAllowList entry '{entry}' is not a host name, *.domain, an IP address or a CIDR such as 10.1.0.0/16."
            : null;

    private static object? ParseAllowEntry(string entry)
    {
        entry = entry.Trim();
        if (entry.Contains('/')) return IPNetwork.TryParse(entry, out var network) ? network : null;
        if (IPAddress.TryParse(entry.Trim('[', ']'), out var address))
        {
            if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
            return new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        }
        if (entry.StartsWith("*.", StringComparison.Ordinal) && Uri.CheckHostName(entry[2..]) == UriHostNameType.Dns) return NormalHost(entry[1..]);
        return Uri.CheckHostName(entry) == UriHostNameType.Dns ? NormalHost(entry) : null;
    }

    /// <summary>Lower case, no brackets, no trailing dot: <c>LOCALHOST.</c> is <c>localhost</c>.</summary>
    private static string NormalHost(string host) => host.Trim('[', ']').TrimEnd('.').ToLowerInvariant();
}
