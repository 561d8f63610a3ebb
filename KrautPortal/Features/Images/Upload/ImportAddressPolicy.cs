using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Images.Upload;

/// <summary>Why an import may not go somewhere, in words a person can act on.</summary>
public sealed class ImportRefusedException(string message) : Exception(message);

/// <summary>
/// Where URL import may connect: public addresses only, so an import cannot reach the portal itself, its network
/// or a cloud metadata service, unless an administrator allows a host or network (<see cref="ImagesOptions.ImportAllowList"/>).
/// Never the host's own addresses (any interface, Kraut's bridges included) unless the allow list names the address.
/// </summary>
public sealed class ImportAddressPolicy
{
    public const int MaxUrlLength = 2048;
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(5);

    private readonly HashSet<string> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _domainSuffixes = [];
    private readonly List<IPNetwork> _networks = [];
    private readonly HashSet<IPAddress> _exactAddresses = [];

    public ImportAddressPolicy(IOptions<ImagesOptions> options)
    {
        foreach (var entry in options.Value.ImportAllowList)
        {
            switch (ParseAllowEntry(entry))
            {
                case IPNetwork network:
                    _networks.Add(network);
                    if (network.PrefixLength == (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)) _exactAddresses.Add(network.BaseAddress);
                    break;
                case string suffix when suffix.StartsWith('.'): _domainSuffixes.Add(suffix); break;
                case string host: _hosts.Add(host); break;
                default: throw new OptionsValidationException(nameof(ImagesOptions), typeof(ImagesOptions), [AllowEntryProblem(entry)!]);
            }
        }
    }

    /// <summary>What kind of special-purpose address this is (IANA's registries); null for a public address.</summary>
    public static string? Forbidden(IPAddress address) => SpecialPurposeAddresses.Describe(address);

    /// <summary>
    /// May an import for <paramref name="host"/> connect to <paramref name="address"/>? The host's own addresses only
    /// when the allow list names that very address: a broad CIDR or a host name must not open the portal's own services.
    /// </summary>
    public bool Permits(string host, IPAddress address)
    {
        if (HostAddresses.Contains(address)) return _exactAddresses.Contains(SpecialPurposeAddresses.Normal(address));
        return Forbidden(address) is null || AllowsHost(host) || AllowsAddress(address);
    }

    private bool AllowsHost(string host)
    {
        host = NormalHost(host);
        return _hosts.Contains(host) || _domainSuffixes.Any(s => host.EndsWith(s, StringComparison.OrdinalIgnoreCase));
    }

    private bool AllowsAddress(IPAddress address)
    {
        address = SpecialPurposeAddresses.Normal(address);
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
        var named = NormalHost(host) == address.ToString() ? address.ToString() : $"{NormalHost(host)} resolves to {address}, which";
        if (HostAddresses.Contains(address))
        {
            return $"{named} is {Forbidden(address) ?? "an address"} of the Kraut host itself. Kraut does not import from its own host, so that an import " +
                "cannot reach the services there; an administrator can allow one of its addresses only by naming that address in Images:ImportAllowList.";
        }
        return $"{named} is {Forbidden(address) ?? "an address this import may not use"}. Kraut does not import from loopback, private, link-local or other " +
            "internal addresses, so that an import cannot reach services inside your network; an administrator can allow a host or network with Images:ImportAllowList.";
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
