using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Auth;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Backups;

/// <summary>A portal on libvirt's test driver with two people, alice and bob, for the backups API's checks.</summary>
public sealed class BackupApiPortal : IAsyncLifetime
{
    private static readonly Dictionary<string, string> Passwords = new() { ["alice"] = "alice-Backup-51c2e9", ["bob"] = "bob-Backup-7e30a4" };
    private readonly TempDir _dir = new();
    private readonly Dictionary<string, HttpClient> _people = [];

    public BackupApiPortal()
    {
        var users = _dir.File("htpasswd");
        foreach (var (user, password) in Passwords) HtpasswdTool.Set(users, "-B", user, password);
        Api = new ApiClient(new KrautAppFactory(settings: new Dictionary<string, string?> { ["Auth:Htpasswd:File"] = users }));
    }

    /// <summary>The god token (an administrator).</summary>
    public ApiClient Api { get; }

    public HttpClient As(string user) => _people[user];

    public Task InitializeAsync()
    {
        foreach (var (user, password) in Passwords)
        {
            var client = Api.App.CreateAnonymousClient();
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization",
                "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
            _people[user] = client;
        }
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        foreach (var client in _people.Values) client.Dispose();
        Api.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A VM of <paramref name="owner"/> on the demo host (made by the administrator for them).</summary>
    public async Task<Guid> VmOfAsync(string owner)
    {
        var body = await Api.SampleAsync("vms", ApiClient.UniqueName("vm"));
        body["owner"] = owner;
        return (Guid)(await Api.CreateAsync("vms", body))["id"]!;
    }
}

/// <summary>
/// The backups API on libvirt's test driver: another tenant's VM and backups are "not found" on every route, bad bodies
/// name their field, a VM on the demo host is refused with 409 naming why, and a VM cannot be made from a backup that
/// does not exist. (Backups that really run are in <see cref="Integration.DiskRealGuestTests"/>.)
/// </summary>
public sealed class BackupApiTests(BackupApiPortal portal) : IClassFixture<BackupApiPortal>
{
    [Fact]
    public async Task AnotherTenantsVm_IsNotFound_OnEveryBackupRoute()
    {
        var alices = await portal.VmOfAsync("alice");
        var bob = portal.As("bob");
        using (var list = await bob.GetAsync($"/api/v1/vms/{alices}/backups"))
            await ApiClient.AssertProblemAsync(list, HttpStatusCode.NotFound);
        using (var take = await bob.PostAsync($"/api/v1/vms/{alices}/backups", ApiClient.Json(new JsonObject())))
            await ApiClient.AssertProblemAsync(take, HttpStatusCode.NotFound);
        // Through the generic route the VM is named in the body: unknown to bob, said in the field.
        using var generic = await bob.PostAsync("/api/v1/backups", ApiClient.Json(new JsonObject
        {
            ["name"] = ApiClient.UniqueName("b"),
            ["spec"] = new JsonObject { ["vmId"] = alices },
        }));
        var problem = await ApiClient.AssertProblemAsync(generic, HttpStatusCode.UnprocessableEntity);
        Assert.Contains($"There is no VM with id {alices}.", problem["errors"]!["spec.vmId"]!.AsArray().Select(e => (string)e!));
        foreach (var route in new[] { "restore", "restore-over" })
        {
            using var restore = await bob.PostAsync($"/api/v1/backups/{Guid.NewGuid()}/{route}", ApiClient.Json(new JsonObject { ["name"] = "x" }));
            await ApiClient.AssertProblemAsync(restore, HttpStatusCode.NotFound);
        }
        using var download = await bob.GetAsync($"/api/v1/backups/{Guid.NewGuid()}/download");
        await ApiClient.AssertProblemAsync(download, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AVmOnTheDemoHost_IsRefusedWith409_AndItsBackupListIsEmpty()
    {
        var vm = await portal.VmOfAsync("alice");
        var alice = portal.As("alice");
        using (var take = await alice.PostAsync($"/api/v1/vms/{vm}/backups", ApiClient.Json(new JsonObject { ["kind"] = "full" })))
            await ApiClient.AssertProblemAsync(take, HttpStatusCode.Conflict, "demo host");
        var list = await ApiClient.ReadAsync(await alice.GetAsync($"/api/v1/vms/{vm}/backups"));
        Assert.Empty(list["items"]!.AsArray());
        Assert.Equal(0, (long)list["totalSizeBytes"]!);
    }

    [Fact]
    public async Task BadBodies_NameTheirField()
    {
        var vm = await portal.VmOfAsync("alice");
        var alice = portal.As("alice");
        using (var kind = await alice.PostAsync($"/api/v1/vms/{vm}/backups", ApiClient.Json(new JsonObject { ["kind"] = "differential", ["path"] = "/etc" })))
        {
            var problem = await ApiClient.AssertProblemAsync(kind, HttpStatusCode.UnprocessableEntity);
            Assert.NotNull(problem["errors"]!["kind"]);
            Assert.NotNull(problem["errors"]!["path"]);
        }
        using (var noName = await alice.PostAsync($"/api/v1/backups/{Guid.NewGuid()}/restore", ApiClient.Json(new JsonObject { ["start"] = "yes" })))
        {
            var problem = await ApiClient.AssertProblemAsync(noName, HttpStatusCode.UnprocessableEntity);
            Assert.NotNull(problem["errors"]!["name"]);
            Assert.NotNull(problem["errors"]!["start"]);
        }
        // A VM made from a backup that does not exist (or is not theirs) is refused by the VM's own rules.
        var body = await portal.Api.SampleAsync("vms", ApiClient.UniqueName("restored"));
        var missing = Guid.NewGuid();
        body["spec"]!["restoreFrom"] = missing;
        using var create = await alice.PostAsync("/api/v1/vms", ApiClient.Json(body));
        var refused = await ApiClient.AssertProblemAsync(create, HttpStatusCode.UnprocessableEntity);
        Assert.Contains($"There is no backup with id {missing}.", refused["errors"]!["spec.restoreFrom"]!.AsArray().Select(e => (string)e!));
    }
}
