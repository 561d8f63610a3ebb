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

    /// <summary>How long a user's existence and groups, as the password source reports them, are trusted before asking again (sessions and tokens).</summary>
    public int IdentityRecheckSeconds { get; set; } = 60;

    /// <summary>How often an open portal tab checks that its session still exists and its user may still act (<see cref="CircuitRevalidation"/>).</summary>
    public int SessionRecheckSeconds { get; set; } = 30;

    /// <summary>
    /// When the source cannot say whether a user still exists (LDAP without a lookup account, a source that is down),
    /// a session or token keeps the groups last seen for this long after the user's last sign-in, then stops working.
    /// </summary>
    public int UnverifiableIdentityHours { get; set; } = 24;

    /// <summary>Audit rows older than this are deleted by a background sweep.</summary>
    public int AuditRetentionDays { get; set; } = 90;
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

/// <summary>
/// Slows password guessing without locking anyone out (see <see cref="LoginThrottle"/>): a (user, address) pair
/// waits longer after each failure past the free ones; a busy address or a much-guessed user only answers slowly.
/// </summary>
public sealed class ThrottleOptions
{
    /// <summary>Failures of one user from one address before each further try has to wait.</summary>
    public int FreeFailures { get; set; } = 3;

    /// <summary>The first wait; it doubles with each further failure, up to <see cref="MaxDelaySeconds"/>.</summary>
    public double BaseDelaySeconds { get; set; } = 1;
    public double MaxDelaySeconds { get; set; } = 900;

    /// <summary>Failures from one address (any user), or for one user (any address), before its checks are slowed down.</summary>
    public int FailuresPerAddress { get; set; } = 20;
    public int FailuresPerUser { get; set; } = 20;

    /// <summary>How long each password check of a slowed address or user waits first (right passwords too: they still succeed).</summary>
    public int SlowDownMilliseconds { get; set; } = 1000;

    /// <summary>Failures older than this are forgotten; longer than <see cref="MaxDelaySeconds"/>, or waiting would reset the count.</summary>
    public int WindowSeconds { get; set; } = 3600;
}
