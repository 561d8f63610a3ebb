namespace KrautPortal.Features.Auth;

/// <summary>The <c>Auth</c> configuration section.</summary>
public sealed class AuthOptions
{
    public static readonly IReadOnlyList<string> DefaultChain = ["god-token", "token", "htpasswd"];

    /// <summary>
    /// Authenticators asked in order; the first that recognises the credentials decides. Empty means
    /// <see cref="DefaultChain"/> (a default inside the list would have configured names appended to it).
    /// </summary>
    public List<string> Chain { get; set; } = [];

    public IReadOnlyList<string> EffectiveChain => Chain.Count > 0 ? Chain : DefaultChain;

    /// <summary>Users who are administrators, whatever authenticated them.</summary>
    public List<string> Admins { get; set; } = [];

    /// <summary>Groups whose members are administrators (htpasswd group file, LDAP groups, webhook groups).</summary>
    public List<string> AdminGroups { get; set; } = [];

    public HtpasswdOptions Htpasswd { get; set; } = new();
    public LdapOptions Ldap { get; set; } = new();
    public List<GodTokenOptions> GodTokens { get; set; } = [];
    public WebhookOptions Webhook { get; set; } = new();
    public ThrottleOptions Throttle { get; set; } = new();
}

public sealed class HtpasswdOptions
{
    /// <summary>A file as Apache's htpasswd writes it; re-read when it changes.</summary>
    public string? File { get; set; }

    /// <summary>Optional Apache group file: <c>group: user1 user2</c>.</summary>
    public string? GroupsFile { get; set; }
}

public sealed class LdapOptions
{
    /// <summary>e.g. ldap://127.0.0.1:389 or ldaps://ldap.example.org:636</summary>
    public string? Url { get; set; }

    /// <summary>Upgrade an ldap:// connection with StartTLS before binding, so the password never crosses the wire in clear.</summary>
    public bool StartTls { get; set; }

    /// <summary>
    /// A directory of PEM CA certificates trusted for ldaps:// and StartTLS instead of the system's store (for a
    /// private CA). OpenSSL-built libldap finds them by subject hash: run <c>openssl rehash</c> in it.
    /// </summary>
    public string? CaCertificatesDirectory { get; set; }

    /// <summary>The DN to bind as, with {0} for the (escaped) user name: uid={0},ou=people,dc=example,dc=org</summary>
    public string UserDnTemplate { get; set; } = "uid={0},ou=people,dc=example,dc=org";

    /// <summary>Where groups are searched (groupOfNames with member=userDN).</summary>
    public string? GroupBaseDn { get; set; }

    /// <summary>Longest wait for the server, per operation (connect, bind, group search).</summary>
    public int TimeoutSeconds { get; set; } = 5;
}

/// <summary>A token with full access, listed by its SHA-256 (hex) so the configuration holds no secret.</summary>
public sealed class GodTokenOptions
{
    public string Name { get; set; } = "";
    public string Sha256 { get; set; } = "";
}

public sealed class WebhookOptions
{
    public string? Url { get; set; }
    public int TimeoutMilliseconds { get; set; } = 2000;
}

public sealed class ThrottleOptions
{
    /// <summary>Failed logins allowed per user, and per client address, within the window.</summary>
    public int FailuresPerUser { get; set; } = 5;
    public int FailuresPerAddress { get; set; } = 20;
    public int WindowSeconds { get; set; } = 300;
}
