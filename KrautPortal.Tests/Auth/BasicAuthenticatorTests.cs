using System.Text;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Auth.Htpasswd;
using KrautPortal.Features.Auth.Ldap;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KrautPortal.Tests.Auth;

/// <summary>
/// A real <c>Authorization: Basic</c> header through BasicAuthenticator over each verifier, with role
/// mapping and one-time-code check built on the portal's own services (its database, data protection and clock).
/// </summary>
public sealed class BasicAuthenticatorTests : IClassFixture<BasicAuthenticatorTests.Portal>, IDisposable
{
    private readonly Portal _portal;
    private readonly AsyncServiceScope _scope;
    private readonly TempDir _dir = new();

    public BasicAuthenticatorTests(Portal portal)
    {
        _portal = portal;
        _scope = portal.App.Services.CreateAsyncScope();
        TestLdap.EnsureRunning();
    }

    /// <summary>One portal (test driver, no seed image) for the whole class: only its services are used.</summary>
    public sealed class Portal : IDisposable
    {
        public KrautAppFactory App { get; } = new(seedImage: null);

        public void Dispose() => App.Dispose();
    }

    public void Dispose()
    {
        _scope.Dispose();
        _dir.Dispose();
    }

    private AuthOptions Options()
    {
        var users = _dir.File("htpasswd");
        var groups = _dir.File("groups");
        if (!File.Exists(users))
        {
            HtpasswdTool.Set(users, "-B", "hilde", "pw-hilde");
            HtpasswdTool.Set(users, "-m", "otto", "pw-otto");
            HtpasswdTool.Set(users, "-m", "olga", "pw-olga");
            HtpasswdTool.Set(users, "-s", "ute", "pw-ute");
            File.WriteAllText(groups, "kraut-admins: hilde\nops: hilde otto\n");
        }
        return new AuthOptions
        {
            AdminGroups = ["kraut-admins"],
            Admins = ["olga"],
            Htpasswd = new HtpasswdOptions { File = users, GroupsFile = groups },
            Ldap = TestLdap.Options(),
        };
    }

    private BasicAuthenticator Basic(AuthOptions auth, string verifier)
    {
        var options = Microsoft.Extensions.Options.Options.Create(auth);
        var time = _portal.App.Services.GetRequiredService<TimeProvider>();
        IPasswordVerifier passwords = verifier == "ldap"
            ? new LdapVerifier(options, NullLogger<LdapVerifier>.Instance)
            : new HtpasswdVerifier(options, time, NullLogger<HtpasswdVerifier>.Instance);
        return new BasicAuthenticator(passwords, new PasswordChecks(time), new RoleMapper(options),
            _portal.App.Services.GetRequiredService<IServiceScopeFactory>());
    }

    private static AuthRequest Request(string? authorization) =>
        new(authorization, "GET", "/api/v1/vms", "vms", null, null, null, "192.0.2.10");

    private static string Header(string user, string password) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    private static Task<AuthResult> Send(BasicAuthenticator basic, string? authorization) =>
        basic.AuthenticateAsync(Request(authorization), CancellationToken.None);

    [Fact]
    public async Task Htpasswd_AGroupMemberOfAnAdminGroup_IsAnAdministrator_WithTheirGroups()
    {
        var basic = Basic(Options(), "htpasswd");

        var actor = Assert.IsType<AuthResult.Allow>(await Send(basic, Header("hilde", "pw-hilde"))).Actor;

        Assert.Equal(new Actor("hilde", true, actor.Groups, Via: "htpasswd"), actor);
        Assert.Equal(["kraut-admins", "ops"], actor.Groups);
        Assert.Equal("htpasswd", basic.Name);
    }

    [Fact]
    public async Task Htpasswd_AnOrdinaryUser_IsNoAdministrator_AndANamedAdminIsOne()
    {
        var basic = Basic(Options(), "htpasswd");

        var otto = Assert.IsType<AuthResult.Allow>(await Send(basic, Header("otto", "pw-otto"))).Actor;
        var olga = Assert.IsType<AuthResult.Allow>(await Send(basic, Header("olga", "pw-olga"))).Actor;

        Assert.False(otto.IsAdmin);
        Assert.Equal(["ops"], otto.Groups);
        Assert.True(olga.IsAdmin);
        Assert.Empty(olga.Groups);
    }

    [Fact]
    public async Task Htpasswd_AWrongPassword_IsDeniedAsBadCredentials_ForTheThrottle()
    {
        var basic = Basic(Options(), "htpasswd");

        var denied = Assert.IsType<AuthResult.Deny>(await Send(basic, Header("otto", "guess")));

        Assert.Equal(("Wrong user name or password.", true), (denied.Reason, denied.BadCredentials));
        Assert.IsType<AuthResult.Allow>(await Send(basic, Header("otto", "pw-otto")));
    }

    [Fact]
    public async Task Htpasswd_AnUnknownUser_OrAnotherScheme_IsLeftToTheNextAuthenticator()
    {
        var basic = Basic(Options(), "htpasswd");

        Assert.IsType<AuthResult.NotMine>(await Send(basic, Header("stranger", "pw")));
        Assert.IsType<AuthResult.NotMine>(await Send(basic, "Bearer abc.def"));
        Assert.IsType<AuthResult.NotMine>(await Send(basic, "Basic not-base64!"));
        Assert.IsType<AuthResult.NotMine>(await Send(basic, null));
    }

    [Fact]
    public async Task Htpasswd_AMissingFile_IsDenied_WithTheVerifiersReason()
    {
        var options = Options();
        options.Htpasswd.File = _dir.File("gone");

        var denied = Assert.IsType<AuthResult.Deny>(await Send(Basic(options, "htpasswd"), Header("hilde", "pw-hilde")));

        Assert.Equal($"htpasswd file {_dir.File("gone")} does not exist.", denied.Reason);
    }

    [Fact]
    public async Task Htpasswd_AUserWithAOneTimeCodeEnrolled_IsSentToTokens()
    {
        // ute is in no other test: her row stays in this class's database.
        var db = _scope.ServiceProvider.GetRequiredService<KrautDbContext>();
        db.Users.Add(new UserRow { Name = "ute", OtpEnabled = true, OtpSecret = "enrolled", CreatedAt = DateTime.UtcNow });
        await db.SaveChangesAsync();

        var denied = Assert.IsType<AuthResult.Deny>(await Send(Basic(Options(), "htpasswd"), Header("ute", "pw-ute")));

        Assert.Contains("'ute' uses a one-time code", denied.Reason, StringComparison.Ordinal);
        Assert.IsType<AuthResult.Deny>(await Send(Basic(Options(), "htpasswd"), Header("ute", "wrong")));
    }

    [Fact]
    public async Task Ldap_Alice_IsAnAdministrator_ThroughKrautAdmins()
    {
        var basic = Basic(Options(), "ldap");

        var alice = Assert.IsType<AuthResult.Allow>(await Send(basic, Header("alice", TestLdap.AlicePassword))).Actor;

        Assert.True(alice.IsAdmin);
        Assert.Equal(["developers", "kraut-admins"], alice.Groups.Order(StringComparer.Ordinal));
        Assert.Equal("ldap", alice.Via);
    }

    [Fact]
    public async Task Ldap_Bob_IsADeveloper_NotAnAdministrator()
    {
        var bob = Assert.IsType<AuthResult.Allow>(await Send(Basic(Options(), "ldap"), Header("bob", TestLdap.BobPassword))).Actor;

        Assert.False(bob.IsAdmin);
        Assert.Equal(["developers"], bob.Groups);
    }

    [Fact]
    public async Task Ldap_AWrongOrEmptyPassword_IsDenied()
    {
        var basic = Basic(Options(), "ldap");

        Assert.Equal("Wrong user name or password.", Assert.IsType<AuthResult.Deny>(await Send(basic, Header("alice", "nope"))).Reason);
        Assert.Equal("Wrong user name or password.", Assert.IsType<AuthResult.Deny>(await Send(basic, Header("alice", ""))).Reason);
    }

    [Fact]
    public async Task Ldap_AServerThatIsDown_IsDenied_SayingWhichServer()
    {
        var options = Options();
        var url = $"ldap://127.0.0.1:{SilentServer.ClosedPort()}/";
        options.Ldap.Url = url;

        var denied = Assert.IsType<AuthResult.Deny>(await Send(Basic(options, "ldap"), Header("alice", TestLdap.AlicePassword)));

        Assert.StartsWith($"LDAP server {url} unreachable", denied.Reason, StringComparison.Ordinal);
    }
}
