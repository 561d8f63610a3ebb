using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using KrautPortal.Features.Auth;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Auth;
using KrautPortal.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Authorization;

/// <summary>
/// An administrator removes a person from the htpasswd and group files (or from a group, or changes their password):
/// their tokens and portal sessions stop working within the re-check window, and logging out ends a session on the
/// server. A portal of its own, with a re-check window of one second, because these tests edit its user files.
/// </summary>
public sealed class RemovedUserTests(RemovedUserTests.Portal portal) : IClassFixture<RemovedUserTests.Portal>
{
    private const string Group = "team-r";
    private static readonly TimeSpan RecheckWindow = TimeSpan.FromSeconds(1);

    public sealed class Portal : IDisposable
    {
        private readonly TempDir _dir = new();

        public Portal()
        {
            UsersFile = _dir.File("htpasswd");
            GroupsFile = _dir.File("groups");
            HtpasswdTool.Set(UsersFile, "-B", "keeper", "keeper-Pw-1");
            File.WriteAllText(GroupsFile, $"{Group}: keeper\n");
            App = new KrautAppFactory(settings: new Dictionary<string, string?>
            {
                ["Auth:Htpasswd:File"] = UsersFile,
                ["Auth:Htpasswd:GroupsFile"] = GroupsFile,
                ["Auth:IdentityRecheckSeconds"] = ((int)RecheckWindow.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Auth:SessionRecheckSeconds"] = "1",
            });
            Api = new ApiClient(App);
        }

        public string UsersFile { get; }
        public string GroupsFile { get; }
        public KrautAppFactory App { get; }
        public ApiClient Api { get; }

        /// <summary>A new person in <see cref="Group"/>, with this password; each test has its own.</summary>
        public string AddMember(string prefix, string password)
        {
            var user = ApiClient.UniqueName(prefix);
            lock (this)
            {
                HtpasswdTool.Set(UsersFile, "-B", user, password);
                File.AppendAllText(GroupsFile, $"{Group}: {user}\n");
            }
            return user;
        }

        /// <summary>What an administrator does: htpasswd -D, and the user's name taken out of the group file.</summary>
        public void Remove(string user, bool fromPasswords = true)
        {
            lock (this)
            {
                if (fromPasswords) HtpasswdTool.Delete(UsersFile, user);
                var lines = File.ReadAllLines(GroupsFile).Where(l => !l.EndsWith(" " + user, StringComparison.Ordinal));
                File.WriteAllText(GroupsFile, string.Join('\n', lines) + "\n");
            }
        }

        public void Dispose()
        {
            Api.Dispose();
            _dir.Dispose();
        }
    }

    private static Task WaitOutTheRecheckWindowAsync() => Task.Delay(RecheckWindow + TimeSpan.FromMilliseconds(500));

    /// <summary>A VM owned by the group, made by the administrator.</summary>
    private async Task<Guid> GroupVmAsync()
    {
        var body = await portal.Api.SampleAsync("vms", ApiClient.UniqueName("group-vm"));
        body["owner"] = Group;
        using var response = await portal.Api.Http.PostAsync("/api/v1/vms", ApiClient.Json(body));
        var json = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, json.ToJsonString());
        Assert.Equal(Group, (string?)json["owner"]);
        return Guid.Parse((string)json["id"]!);
    }

    private async Task<string> TokenAsync(string user, string password)
    {
        using var client = portal.App.CreateAnonymousClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", AuthorizationPortal.BasicHeader(user, password));
        using var response = await client.PostAsJsonAsync("/api/v1/tokens",
            AuthorizationPortal.TokenBody(ApiClient.UniqueName("t"), ["read", "update", "delete"], ["vms"]));
        var json = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, json.ToJsonString());
        return (string)json["secret"]!;
    }

    private HttpClient Bearer(string secret)
    {
        var client = portal.App.CreateAnonymousClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + secret);
        return client;
    }

    /// <summary>A client that sends exactly the cookie given (a copied cookie, replayed).</summary>
    private HttpClient Replayer()
    {
        var client = portal.App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        client.DefaultRequestHeaders.Remove("Authorization");
        return client;
    }

    [Fact]
    public async Task ARemovedUsersToken_IsRefused_WithinTheRecheckWindow_ForReadingAndChanging()
    {
        const string password = "rita-Pw-83";
        var rita = portal.AddMember("rita", password);
        var vm = await GroupVmAsync();
        using var token = Bearer(await TokenAsync(rita, password));
        Assert.Equal(HttpStatusCode.OK, (await token.GetAsync($"/api/v1/vms/{vm}")).StatusCode);

        portal.Remove(rita);
        await WaitOutTheRecheckWindowAsync();

        await ApiClient.AssertProblemAsync(await token.GetAsync($"/api/v1/vms/{vm}"), HttpStatusCode.Unauthorized, "no longer a user");
        var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/vms/{vm}")
        {
            Content = ApiClient.Json(new JsonObject { ["metadata"] = new JsonObject { ["touched"] = "yes" } }, "application/merge-patch+json"),
        };
        Assert.Equal(HttpStatusCode.Unauthorized, (await token.SendAsync(patch)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await token.DeleteAsync($"/api/v1/vms/{vm}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await portal.Api.Http.GetAsync($"/api/v1/vms/{vm}")).StatusCode);
    }

    [Fact]
    public async Task AUserTakenOutOfAGroup_TheirTokenNoLongerReachesTheGroupsObjects_ButStillTheirOwn()
    {
        const string password = "gus-Pw-27";
        var gus = portal.AddMember("gus", password);
        var groupVm = await GroupVmAsync();
        using var token = Bearer(await TokenAsync(gus, password));
        var own = await portal.Api.SampleAsync("vms", ApiClient.UniqueName("own"));
        using (var basic = portal.App.CreateAnonymousClient())
        {
            basic.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", AuthorizationPortal.BasicHeader(gus, password));
            Assert.Equal(HttpStatusCode.Created, (await basic.PostAsync("/api/v1/vms", ApiClient.Json(own))).StatusCode);
        }
        var ownId = await portal.App.IdOfAsync("vms", (string)own["name"]!);
        Assert.Equal(HttpStatusCode.OK, (await token.GetAsync($"/api/v1/vms/{groupVm}")).StatusCode);

        portal.Remove(gus, fromPasswords: false);
        await WaitOutTheRecheckWindowAsync();

        Assert.Equal(HttpStatusCode.NotFound, (await token.GetAsync($"/api/v1/vms/{groupVm}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await token.DeleteAsync($"/api/v1/vms/{groupVm}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await token.GetAsync($"/api/v1/vms/{ownId}")).StatusCode);
    }

    [Fact]
    public async Task ARemovedUsersCookie_StopsWorking_AndCannotMintAToken()
    {
        const string password = "cora-Pw-55";
        var cora = portal.AddMember("cora", password);
        using var browser = PortalSignIn.Browser(portal.App);
        var cookie = await PortalSignIn.SignInAsync(browser, cora, password);
        using var replay = Replayer();
        Assert.Equal(HttpStatusCode.OK, (await replay.SendAsync(PortalSignIn.ApiRequest(HttpMethod.Get, "/api/v1/vms", cookie))).StatusCode);

        portal.Remove(cora);
        await WaitOutTheRecheckWindowAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, (await replay.SendAsync(PortalSignIn.ApiRequest(HttpMethod.Get, "/api/v1/vms", cookie))).StatusCode);
        var mint = PortalSignIn.ApiRequest(HttpMethod.Post, "/api/v1/tokens", cookie,
            ApiClient.Json(AuthorizationPortal.TokenBody("late", ["read"], ["vms"], expiresAt: DateTime.UtcNow.AddDays(365))));
        Assert.Equal(HttpStatusCode.Unauthorized, (await replay.SendAsync(mint)).StatusCode);
        // The session is gone from the server, not only refused this once.
        var sessions = await portal.App.Services.GetRequiredService<SessionStore>().CountsAsync(CancellationToken.None);
        Assert.False(sessions.ContainsKey(cora));
    }

    [Fact]
    public async Task LoggingOut_EndsTheSessionOnTheServer_AReplayedCookieIsRefused()
    {
        const string password = "lou-Pw-19";
        var lou = portal.AddMember("lou", password);
        using var browser = PortalSignIn.Browser(portal.App);
        var cookie = await PortalSignIn.SignInAsync(browser, lou, password);
        using var replay = Replayer();
        Assert.Equal(HttpStatusCode.OK, (await replay.SendAsync(PortalSignIn.ApiRequest(HttpMethod.Get, "/api/v1/vms", cookie))).StatusCode);

        using var logout = await PortalSignIn.LogoutAsync(browser);
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await replay.SendAsync(PortalSignIn.ApiRequest(HttpMethod.Get, "/api/v1/vms", cookie))).StatusCode);
        using var page = await replay.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/vms") { Headers = { { "Cookie", "kraut.session=" + cookie } } });
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/login", page.Headers.Location!.AbsolutePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AChangedPassword_EndsTheSessionsFromBefore()
    {
        var pia = portal.AddMember("pia", "pia-old-Pw-4");
        using var browser = PortalSignIn.Browser(portal.App);
        var cookie = await PortalSignIn.SignInAsync(browser, pia, "pia-old-Pw-4");
        using var replay = Replayer();

        lock (portal) HtpasswdTool.Set(portal.UsersFile, "-B", pia, "pia-new-Pw-4");
        await WaitOutTheRecheckWindowAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, (await replay.SendAsync(PortalSignIn.ApiRequest(HttpMethod.Get, "/api/v1/vms", cookie))).StatusCode);
    }

    [Fact]
    public async Task AnAdministratorEndingAUsersSessions_SignsThemOutAtOnce()
    {
        const string password = "ada-Pw-66";
        var ada = portal.AddMember("ada", password);
        using var browser = PortalSignIn.Browser(portal.App);
        var cookie = await PortalSignIn.SignInAsync(browser, ada, password);
        using var replay = Replayer();
        var sessions = portal.App.Services.GetRequiredService<SessionStore>();
        Assert.Equal(1, (await sessions.CountsAsync(CancellationToken.None))[ada]);

        Assert.Equal(1, await sessions.EndAllAsync(ada, CancellationToken.None));

        Assert.Equal(HttpStatusCode.Unauthorized, (await replay.SendAsync(PortalSignIn.ApiRequest(HttpMethod.Get, "/api/v1/vms", cookie))).StatusCode);
    }
}
