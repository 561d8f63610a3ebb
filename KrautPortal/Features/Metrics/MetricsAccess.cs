using System.Net;
using System.Security.Cryptography;
using System.Text;
using IPNetwork = System.Net.IPNetwork;

namespace KrautPortal.Features.Metrics;

/// <summary>
/// Who may read <c>/metrics</c>: a caller presenting <c>Authorization: Bearer &lt;Metrics:Token&gt;</c>, or one whose
/// address is in <c>Metrics:AllowFrom</c> (addresses or CIDRs; loopback by default). The address is the connection's,
/// or the client's as a trusted proxy reported it (<c>Kraut:TrustedProxies</c>): forwarded headers from anyone else
/// were already ignored when this runs. No token configured: no token is accepted.
/// </summary>
public sealed class MetricsAccess
{
    public const string TokenKey = "Metrics:Token";
    public const string AllowFromKey = "Metrics:AllowFrom";
    public static readonly string[] DefaultAllowFrom = ["127.0.0.1/32", "::1/128"];

    private readonly byte[]? _tokenHash;
    private readonly IReadOnlyList<IPNetwork> _allowFrom;

    public MetricsAccess(string? token, IEnumerable<string> allowFrom)
    {
        _tokenHash = string.IsNullOrEmpty(token) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(token));
        _allowFrom = allowFrom.Select(e => Parse(e) ?? throw new InvalidOperationException(
            $"{AllowFromKey} entry '{e}' is not an IP address or a CIDR such as 10.0.0.0/24.")).ToList();
    }

    /// <summary>
    /// <c>Metrics:AllowFrom</c> as a list (<c>--Metrics:AllowFrom:0=10.0.0.0/8</c>) or one comma-separated value
    /// (<c>--Metrics:AllowFrom=</c> for nobody); absent: loopback only.
    /// </summary>
    public static MetricsAccess From(IConfiguration config)
    {
        var section = config.GetSection(AllowFromKey);
        var entries = section.GetChildren().Any()
            ? section.Get<string[]>() ?? []
            : section.Value is { } text
                ? text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : DefaultAllowFrom;
        return new MetricsAccess(config[TokenKey], entries);
    }

    public enum Decision { Allowed, NoCredentials, WrongToken }

    public Decision Decide(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (header.Length > 0)
        {
            // A presented token is judged by itself: a wrong one is refused even from an allowed address, so a
            // misconfigured scraper shows up at once rather than only after it moves.
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return Decision.WrongToken;
            return TokenMatches(header["Bearer ".Length..].Trim()) ? Decision.Allowed : Decision.WrongToken;
        }
        return AddressAllowed(http.Connection.RemoteIpAddress) ? Decision.Allowed : Decision.NoCredentials;
    }

    private bool TokenMatches(string presented)
    {
        if (_tokenHash is null) return false;
        // Equal-length digests compared in constant time: neither the token's content nor its length leaks.
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _tokenHash);
    }

    public bool AddressAllowed(IPAddress? address)
    {
        if (address is null) return false;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return _allowFrom.Any(n => n.Contains(address));
    }

    private static IPNetwork? Parse(string entry)
    {
        entry = entry.Trim();
        if (IPNetwork.TryParse(entry, out var network)) return network;
        if (!IPAddress.TryParse(entry, out var address)) return null;
        return new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
    }
}
