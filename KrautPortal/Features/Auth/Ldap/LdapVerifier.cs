using System.DirectoryServices.Protocols;
using System.Net;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Auth.Ldap;

/// <summary>
/// Checks passwords by binding to an LDAP directory as the user (DN from <c>Auth:Ldap:UserDnTemplate</c>), then
/// reads the user's groups (<c>groupOfNames</c> with <c>member=</c> the user's DN) with that same connection.
/// </summary>
public sealed class LdapVerifier(IOptions<AuthOptions> options, ILogger<LdapVerifier> logger) : IPasswordVerifier
{
    private const int InvalidCredentials = 49;
    private const int ServerDown = 81;
    private const int Timeout = 85;
    private const int ConnectError = 91;

    public string Name => "ldap";

    public async Task<PasswordCheck> VerifyAsync(string user, string password, CancellationToken ct)
    {
        var o = options.Value.Ldap;
        if (Problem(o) is { } problem) return new PasswordCheck.Unavailable(problem);
        if (user.Length == 0) return PasswordCheck.UnknownUser.Instance;
        // An empty password makes a simple bind "unauthenticated" (RFC 4513 5.1.2), which servers answer with success.
        if (password.Length == 0) return PasswordCheck.WrongPassword.Instance;

        var dn = o.UserDnTemplate.Replace("{0}", LdapEscape.DnValue(user), StringComparison.Ordinal);
        var timeout = TimeSpan.FromSeconds(o.TimeoutSeconds);
        // libldap blocks; keep that off the request's thread. The outer limit only guards against a libldap that
        // ignores its own timeouts: the connection's timeout normally ends things first.
        var work = Task.Run(() => Verify(o, new Uri(o.Url!), dn, password, timeout), CancellationToken.None);
        try
        {
            return await work.WaitAsync(3 * timeout + TimeSpan.FromSeconds(1), ct);
        }
        catch (TimeoutException)
        {
            return new PasswordCheck.Unavailable($"LDAP server {o.Url} unreachable: no answer within {o.TimeoutSeconds} s.");
        }
    }

    private static string? Problem(LdapOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.Url)) return "LDAP is not configured: set Auth:Ldap:Url.";
        if (!Uri.TryCreate(o.Url, UriKind.Absolute, out var url) || url.Scheme is not ("ldap" or "ldaps") || url.Host.Length == 0)
            return $"Auth:Ldap:Url '{o.Url}' is not an ldap:// or ldaps:// URL.";
        if (o.StartTls && url.Scheme == "ldaps") return $"Auth:Ldap:StartTls is for ldap:// URLs; {o.Url} is already TLS.";
        if (!o.UserDnTemplate.Contains("{0}", StringComparison.Ordinal)) return "Auth:Ldap:UserDnTemplate must contain {0} for the user name.";
        if (o.TimeoutSeconds <= 0) return "Auth:Ldap:TimeoutSeconds must be positive.";
        if (o.CaCertificatesDirectory is { } ca && !Directory.Exists(ca)) return $"Auth:Ldap:CaCertificatesDirectory {ca} does not exist.";
        return null;
    }

    private PasswordCheck Verify(LdapOptions o, Uri url, string dn, string password, TimeSpan timeout)
    {
        var tls = url.Scheme == "ldaps" || o.StartTls;
        var port = url.IsDefaultPort || url.Port < 0 ? (url.Scheme == "ldaps" ? 636 : 389) : url.Port;
        using var connection = LibLdapDefaults.Create($"{url.Scheme}://{url.Host}:{port}", new LdapDirectoryIdentifier(url.Host, port, fullyQualifiedDnsHostName: true, connectionless: false), timeout);
        try
        {
            connection.AuthType = AuthType.Basic;
            connection.SessionOptions.ProtocolVersion = 3;
            connection.SessionOptions.ReferralChasing = ReferralChasingOptions.None;
            connection.SessionOptions.SecureSocketLayer = url.Scheme == "ldaps";
            if (o.CaCertificatesDirectory is not null)
            {
                // Kraut runs on Linux (libvirt); Windows' LDAP client has no such option.
                if (OperatingSystem.IsWindows()) return new PasswordCheck.Unavailable("Auth:Ldap:CaCertificatesDirectory is not supported on Windows.");
                connection.SessionOptions.TrustedCertificatesDirectory = o.CaCertificatesDirectory;
                connection.SessionOptions.StartNewTlsSessionContext();
            }
            if (o.StartTls) connection.SessionOptions.StartTransportLayerSecurity(null);
            connection.Bind(new NetworkCredential(dn, password));
        }
        catch (LdapException e) when (e.ErrorCode == InvalidCredentials)
        {
            return PasswordCheck.WrongPassword.Instance;
        }
        catch (Exception e) when (e is LdapException or DirectoryOperationException or TlsOperationException)
        {
            var reason = BindFailure(o, tls, e);
            logger.LogWarning("LDAP bind failed: {Reason}", reason);
            return new PasswordCheck.Unavailable(reason);
        }

        if (string.IsNullOrWhiteSpace(o.GroupBaseDn)) return new PasswordCheck.Valid([]);
        try
        {
            var filter = $"(&(objectClass=groupOfNames)(member={LdapEscape.FilterValue(dn)}))";
            var request = new SearchRequest(o.GroupBaseDn, filter, SearchScope.Subtree, "cn") { TimeLimit = timeout };
            var response = (SearchResponse)connection.SendRequest(request, timeout);
            var groups = response.Entries.Cast<SearchResultEntry>()
                .SelectMany(entry => entry.Attributes["cn"]?.GetValues(typeof(string)).Cast<string>() ?? [])
                .Distinct(StringComparer.Ordinal)
                .ToList();
            return new PasswordCheck.Valid(groups);
        }
        catch (Exception e) when (e is LdapException or DirectoryOperationException)
        {
            logger.LogWarning("LDAP group search under {Base} at {Url} failed: {Error}", o.GroupBaseDn, o.Url, e.Message);
            return new PasswordCheck.Unavailable($"LDAP group search under {o.GroupBaseDn} at {o.Url} failed: {Describe(e)}.");
        }
    }

    private static string BindFailure(LdapOptions o, bool tls, Exception e)
    {
        // libldap's own codes (negative, shown by .NET as 81 and up) mean no conversation; 1 to 80 are the server's answers.
        var code = e switch
        {
            LdapException l => l.ErrorCode,
            DirectoryOperationException { Response: not null } d => (int)d.Response.ResultCode,
            _ => 0,
        };
        var hint = tls ? " With TLS: is the server's certificate trusted (Auth:Ldap:CaCertificatesDirectory) and issued for this host name?" : "";
        return code switch
        {
            ServerDown or ConnectError => $"LDAP server {o.Url} unreachable: {Describe(e)}.{hint}",
            Timeout => $"LDAP server {o.Url} unreachable: no answer within {o.TimeoutSeconds} s.",
            _ => $"LDAP server {o.Url} refused the bind: {Describe(e)}.{hint}",
        };
    }

    private static string Describe(Exception e)
    {
        var message = e.Message.Trim().TrimEnd('.');
        return e switch
        {
            LdapException l when !string.IsNullOrWhiteSpace(l.ServerErrorMessage) && !l.ServerErrorMessage.Contains("unknown error", StringComparison.OrdinalIgnoreCase)
                => $"{message} (LDAP error {l.ErrorCode}: {l.ServerErrorMessage.Trim()})",
            LdapException l => $"{message} (LDAP error {l.ErrorCode})",
            DirectoryOperationException { Response: not null } d => $"{message} ({d.Response.ResultCode})",
            _ => message,
        };
    }
}
