using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Auth;
using KrautPortal.Tests.Authorization;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Quotas;

/// <summary>
/// One portal (test driver) with people from an htpasswd file: alice and bob in team-x, carol an administrator (ops),
/// and users in no group (dave, erin, frank, gina, hank), each test's quotas on its own people so tests do not meet.
/// </summary>
public class QuotaPortal : IAsyncLifetime
{
    public const string Group = "team-x";
    public const string Password = "quota-Pw-5b1e77";
    public static readonly string[] Users = ["alice", "bob", "carol", "dave", "erin", "frank", "gina", "hank"];

    private readonly TempDir _dir = new();
    private readonly Dictionary<string, HttpClient> _clients = [];

    public QuotaPortal()
        : this(null)
    {
    }

    /// <param name="settings">More configuration (e.g. another host), for fixtures built on this one.</param>
    protected QuotaPortal(IDictionary<string, string?>? settings)
    {
        var users = _dir.File("htpasswd");
        foreach (var user in Users) HtpasswdTool.Set(users, "-B", user, Password);
        var groups = _dir.File("groups");
        File.WriteAllText(groups, $"{Group}: alice bob\nops: carol\n");
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["Auth:Htpasswd:File"] = users,
            ["Auth:Htpasswd:GroupsFile"] = groups,
            ["Auth:AdminGroups:0"] = "ops",
        };
        App = new KrautAppFactory(settings: all);
        Api = new ApiClient(App);
    }

    public KrautAppFactory App { get; }

    /// <summary>The god token (an administrator), for arranging and checking.</summary>
    public ApiClient Api { get; }

    public Task InitializeAsync()
    {
        foreach (var user in Users)
        {
            var client = App.CreateAnonymousClient();
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", AuthorizationPortal.BasicHeader(user, Password));
            _clients[user] = client;
        }
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        foreach (var client in _clients.Values) client.Dispose();
        Api.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }

    public HttpClient As(string user) => _clients[user];

    /// <summary>Sets a quota as the god token and insists on 200.</summary>
    public async Task SetQuotaAsync(string path, JsonObject limits)
    {
        using var response = await Api.PutAsync($"/api/v1/quotas/{path}", new JsonObject { ["limits"] = limits });
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"setting quota {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public async Task RemoveQuotaAsync(string path)
    {
        using var response = await Api.DeleteAsync($"/api/v1/quotas/{path}");
        Assert.True(response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotFound, $"removing quota {path}: {(int)response.StatusCode}");
    }

    /// <summary>A VM body from the seeded image and a machine type by name, owned by <paramref name="owner"/> when given.</summary>
    public async Task<JsonObject> VmBodyAsync(string name, string machineType = "small", string? owner = null, int vcpus = 0, Guid? network = null)
    {
        var spec = new JsonObject
        {
            ["imageId"] = (await Api.SeededAsync()).ImageId,
            ["machineTypeId"] = await App.IdOfAsync("machine-types", machineType),
        };
        if (vcpus > 0) spec["vcpus"] = vcpus;
        if (network is { } n) spec["nics"] = new JsonArray(new JsonObject { ["networkId"] = n });
        var body = new JsonObject { ["name"] = name, ["spec"] = spec };
        if (owner is not null) body["owner"] = owner;
        return body;
    }

    public async Task<HttpResponseMessage> CreateVmAsync(string user, JsonObject body) =>
        await As(user).PostAsync("/api/v1/vms", ApiClient.Json(body));

    public async Task<JsonArray> MineAsync(string user) => JsonNode.Parse(await As(user).GetStringAsync("/api/v1/quotas/mine"))!.AsArray();
}
