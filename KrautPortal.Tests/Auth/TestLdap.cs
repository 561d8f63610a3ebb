using KrautPortal.Features.Auth;
using KrautPortal.Features.Auth.Ldap;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace KrautPortal.Tests.Auth;

/// <summary>
/// The directory <c>scripts/start-test-ldap.sh</c> serves, and its known users. The script runs once per test run:
/// it starts slapd if needed and resets the entries, so the tests never depend on what ran before.
/// </summary>
internal static class TestLdap
{
    public const string Url = "ldap://127.0.0.1:3890/";
    public const string LdapsUrl = "ldaps://127.0.0.1:6360/";
    public const string UserDnTemplate = "uid={0},ou=people,dc=kraut,dc=test";
    public const string GroupBaseDn = "ou=groups,dc=kraut,dc=test";

    public const string AlicePassword = "alice-pw-1";
    public const string BobPassword = "bob-pw-2";
    /// <summary>A user whose uid holds every DN special the escaping must handle: <c>uid=a\,b\=c\+d</c>.</summary>
    public const string TrickyUser = "a,b=c+d";
    public const string TrickyPassword = "tricky-pw-3";
    /// <summary>Unescaped, this name would turn <c>uid={0},ou=people,…</c> into the decoy entry's DN.</summary>
    public const string InjectedUser = "x,ou=decoy";
    public const string DecoyPassword = "decoy-pw";

    private static readonly Lazy<string> State = new(Start);

    /// <summary>The self-signed CA the script made, as a directory for <c>Auth:Ldap:CaCertificatesDirectory</c>.</summary>
    public static string CaDirectory => Path.Combine(State.Value, "tls", "ca");

    public static void EnsureRunning() => _ = State.Value;

    public static LdapOptions Options(string url = Url) => new()
    {
        Url = url,
        UserDnTemplate = UserDnTemplate,
        GroupBaseDn = GroupBaseDn,
        TimeoutSeconds = 5,
    };

    public static LdapVerifier Verifier(LdapOptions ldap) =>
        new(Microsoft.Extensions.Options.Options.Create(new AuthOptions { Ldap = ldap }), NullLogger<LdapVerifier>.Instance);

    private static string Start()
    {
        // Not a skip: a test run without its directory must fail and say why.
        var (status, _, stderr) = Tool.Try("bash", RepoPaths.Script("start-test-ldap.sh"));
        if (status != 0) throw new InvalidOperationException($"scripts/start-test-ldap.sh failed ({status}):\n{stderr}");
        return Environment.GetEnvironmentVariable("KRAUT_TEST_LDAP_DIR") is { Length: > 0 } dir ? dir : "/var/lib/kraut-test-ldap";
    }
}
