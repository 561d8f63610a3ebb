using System.Diagnostics;
using System.Text;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Auth.Ldap;

namespace KrautPortal.Tests.Auth;

/// <summary>The LDAP verifier against the real slapd that scripts/start-test-ldap.sh runs.</summary>
public sealed class LdapVerifierTests
{
    public LdapVerifierTests() => TestLdap.EnsureRunning();

    private static Task<PasswordCheck> Check(LdapOptions ldap, string user, string password) =>
        TestLdap.Verifier(ldap).VerifyAsync(user, password, CancellationToken.None);

    private static List<string> Groups(PasswordCheck check) =>
        Assert.IsType<PasswordCheck.Valid>(check).Groups.Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task Alice_BindsWithHerPassword_AndGetsKrautAdminsAndDevelopers()
    {
        var result = await Check(TestLdap.Options(), "alice", TestLdap.AlicePassword);

        Assert.Equal(["developers", "kraut-admins"], Groups(result));
        Assert.Equal("ldap", TestLdap.Verifier(TestLdap.Options()).Name);
    }

    [Fact]
    public async Task Bob_GetsOnlyDevelopers()
    {
        Assert.Equal(["developers"], Groups(await Check(TestLdap.Options(), "bob", TestLdap.BobPassword)));
    }

    [Fact]
    public async Task WithoutAGroupBase_AValidBindHasNoGroups()
    {
        var options = TestLdap.Options();
        options.GroupBaseDn = null;

        Assert.Empty(Groups(await Check(options, "alice", TestLdap.AlicePassword)));
    }

    [Fact]
    public async Task AWrongPassword_IsWrongPassword()
    {
        Assert.IsType<PasswordCheck.WrongPassword>(await Check(TestLdap.Options(), "alice", TestLdap.BobPassword));
        Assert.IsType<PasswordCheck.WrongPassword>(await Check(TestLdap.Options(), "alice", TestLdap.AlicePassword + " "));
    }

    [Fact]
    public async Task AnUnknownUser_IsAWrongPassword_BecauseABindCannotTellTheTwoApart()
    {
        Assert.IsType<PasswordCheck.WrongPassword>(await Check(TestLdap.Options(), "nobody", "whatever"));
    }

    [Fact]
    public async Task AnEmptyPassword_IsRefused_WithoutEvenContactingTheServer()
    {
        // Sent, it would be an unauthenticated bind, which slapd (like most servers) answers with success.
        using var server = new SilentServer();
        var options = TestLdap.Options(server.Url);

        Assert.IsType<PasswordCheck.WrongPassword>(await Check(options, "alice", ""));
        Assert.IsType<PasswordCheck.WrongPassword>(await Check(TestLdap.Options(), "alice", ""));
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task ANameFullOfDnSpecials_IsEscaped_SoItBindsAsExactlyThatUser()
    {
        var result = await Check(TestLdap.Options(), TestLdap.TrickyUser, TestLdap.TrickyPassword);

        // The group search found it by its escaped DN too, which the filter escaping must keep intact.
        Assert.Equal(["developers"], Groups(result));
    }

    [Fact]
    public async Task ANameThatWouldInjectRdns_CannotReachTheEntryItAimsAt()
    {
        // The decoy is real and its password right: reached directly, it binds ...
        var direct = TestLdap.Options();
        direct.UserDnTemplate = "uid={0},ou=decoy,ou=people,dc=kraut,dc=test";
        Assert.IsType<PasswordCheck.Valid>(await Check(direct, "x", TestLdap.DecoyPassword));

        // ... but "x,ou=decoy" names one user with a comma in its uid, who does not exist.
        Assert.IsType<PasswordCheck.WrongPassword>(await Check(TestLdap.Options(), TestLdap.InjectedUser, TestLdap.DecoyPassword));
        Assert.IsType<PasswordCheck.WrongPassword>(await Check(TestLdap.Options(), "alice,ou=people,dc=kraut,dc=test+cn=x", TestLdap.AlicePassword));
    }

    [Fact]
    public async Task AServerThatIsDown_IsUnavailable_AtOnce_WithTheUrlAndTheReason()
    {
        var url = $"ldap://127.0.0.1:{SilentServer.ClosedPort()}/";
        var clock = Stopwatch.StartNew();

        var result = Assert.IsType<PasswordCheck.Unavailable>(await Check(TestLdap.Options(url), "alice", TestLdap.AlicePassword));

        Assert.StartsWith($"LDAP server {url} unreachable: ", result.Reason, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task AServerThatNeverAnswers_IsUnavailable_WithinTheTimeout()
    {
        using var server = new SilentServer();
        var options = TestLdap.Options(server.Url);
        options.TimeoutSeconds = 1;
        var clock = Stopwatch.StartNew();

        var result = Assert.IsType<PasswordCheck.Unavailable>(await Check(options, "alice", TestLdap.AlicePassword));

        Assert.StartsWith($"LDAP server {server.Url} unreachable: ", result.Reason, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"took {clock.Elapsed}");
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task StartTls_WithTheTestCa_Binds()
    {
        var options = TestLdap.Options();
        options.StartTls = true;
        options.CaCertificatesDirectory = TestLdap.CaDirectory;

        Assert.Equal(["developers", "kraut-admins"], Groups(await Check(options, "alice", TestLdap.AlicePassword)));
        Assert.IsType<PasswordCheck.WrongPassword>(await Check(options, "alice", "wrong"));
    }

    [Fact]
    public async Task StartTls_AsksForTls_BeforeThePasswordEverCrossesTheWire()
    {
        using var plain = new SilentServer();
        using var upgraded = new SilentServer();
        var withoutTls = TestLdap.Options(plain.Url);
        var withTls = TestLdap.Options(upgraded.Url);
        withoutTls.TimeoutSeconds = withTls.TimeoutSeconds = 1;
        withTls.StartTls = true;

        await Task.WhenAll(Check(withoutTls, "alice", "secret-on-the-wire"), Check(withTls, "alice", "secret-on-the-wire"));

        // The recorder works: a plain bind carries the password ...
        Assert.Contains("secret-on-the-wire", Encoding.Latin1.GetString(plain.Received), StringComparison.Ordinal);
        // ... while StartTLS sends its extended request (RFC 4511 4.14) and waits for the answer, password unsent.
        var sent = Encoding.Latin1.GetString(upgraded.Received);
        Assert.Contains("1.3.6.1.4.1.1466.20037", sent, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-on-the-wire", sent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ldaps_WithTheTestCa_Binds()
    {
        var options = TestLdap.Options(TestLdap.LdapsUrl);
        options.CaCertificatesDirectory = TestLdap.CaDirectory;

        Assert.Equal(["developers"], Groups(await Check(options, "bob", TestLdap.BobPassword)));
    }

    [Fact]
    public async Task Tls_WithACertificateNotTrusted_IsUnavailable_AndSaysToLookAtTheCertificate()
    {
        var ldaps = TestLdap.Options(TestLdap.LdapsUrl);
        var startTls = TestLdap.Options();
        startTls.StartTls = true;

        foreach (var options in new[] { ldaps, startTls })
        {
            var result = Assert.IsType<PasswordCheck.Unavailable>(await Check(options, "alice", TestLdap.AlicePassword));
            Assert.Contains("certificate", result.Reason, StringComparison.Ordinal);
            Assert.Contains("Auth:Ldap:CaCertificatesDirectory", result.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AGroupBaseThatDoesNotExist_IsUnavailable_NotAUserWithoutGroups()
    {
        var options = TestLdap.Options();
        options.GroupBaseDn = "ou=nowhere,dc=kraut,dc=test";

        var result = Assert.IsType<PasswordCheck.Unavailable>(await Check(options, "alice", TestLdap.AlicePassword));
        Assert.Contains("group search under ou=nowhere,dc=kraut,dc=test", result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "Auth:Ldap:Url")]
    [InlineData("http://127.0.0.1:3890/", "not an ldap:// or ldaps:// URL")]
    public async Task AMisconfiguredUrl_IsUnavailable_AndNamesTheSetting(string? url, string expected)
    {
        var options = TestLdap.Options();
        options.Url = url;

        var result = Assert.IsType<PasswordCheck.Unavailable>(await Check(options, "alice", TestLdap.AlicePassword));
        Assert.Contains(expected, result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATemplateWithoutThePlaceholder_IsUnavailable()
    {
        var options = TestLdap.Options();
        options.UserDnTemplate = "uid=alice,ou=people,dc=kraut,dc=test";

        var result = Assert.IsType<PasswordCheck.Unavailable>(await Check(options, "bob", TestLdap.AlicePassword));
        Assert.Contains("UserDnTemplate must contain {0}", result.Reason, StringComparison.Ordinal);
    }
}
