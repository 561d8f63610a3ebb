using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Auth;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Routers;

/// <summary>
/// A portal on libvirt's test driver with two people (alice, bob) and a router appliance registered (a blank qcow2 is
/// enough: nothing boots, so router VMs run but no agent ever answers). For the routers kind's API: validation, tenancy,
/// the hidden router VM. Networks are made by the god token for their owner, inside the default address pool.
/// </summary>
public sealed class RouterApiPortal : IAsyncLifetime
{
    public static readonly IReadOnlyDictionary<string, string> Passwords = new Dictionary<string, string>
    {
        ["alice"] = "alice-Router-4d1e7a",
        ["bob"] = "bob-Router-9c03f2",
    };

    private readonly TempDir _dir = new();
    private readonly Dictionary<string, HttpClient> _people = [];
    private static int _subnet;

    public RouterApiPortal()
    {
        var users = _dir.File("htpasswd");
        foreach (var (user, password) in Passwords) HtpasswdTool.Set(users, "-B", user, password);
        App = new KrautAppFactory(settings: new Dictionary<string, string?> { ["Auth:Htpasswd:File"] = users });
        // Registered at start-up like a built appliance; on the test driver its content does not matter.
        Tool.Run("qemu-img", "create", "-q", "-f", "qcow2", Path.Combine(App.DataDirectory, "seed", Features.Vms.RouterApplianceRegistry.ImageFile), "64M");
        Api = new ApiClient(App);
    }

    public KrautAppFactory App { get; }

    /// <summary>The god token (an administrator).</summary>
    public ApiClient Api { get; }

    public Task InitializeAsync()
    {
        foreach (var (user, password) in Passwords)
        {
            var client = App.CreateAnonymousClient();
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", Basic(user, password));
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

    public HttpClient As(string user) => _people[user];

    public static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    /// <summary>A /24 inside the default pool (10.64.0.0/10) that no other test here takes, away from what first run picks.</summary>
    public static string NextSubnet()
    {
        var n = Interlocked.Increment(ref _subnet);
        return $"10.{120 + n / 250}.{n % 250}.0/24";
    }

    /// <summary>A network of <paramref name="owner"/> (isolated by default: no gateway, so a router may become it).</summary>
    public async Task<Guid> NetworkAsync(string owner, JsonObject? spec = null, bool ipv4 = true)
    {
        spec ??= new JsonObject();
        if (ipv4) spec["ipv4Cidr"] ??= NextSubnet();
        var created = await Api.CreateAsync("networks", new JsonObject
        {
            ["name"] = ApiClient.UniqueName("net"),
            ["owner"] = owner,
            ["spec"] = spec,
        });
        return (Guid)created["id"]!;
    }

    public static JsonObject RouterBody(Guid networkId, Guid? upstream = null, JsonObject? geekMode = null, string? name = null)
    {
        var spec = new JsonObject { ["networkId"] = networkId };
        if (upstream is not null) spec["upstreamNetworkId"] = upstream;
        if (geekMode is not null) spec["geekMode"] = geekMode;
        return new JsonObject { ["name"] = name ?? ApiClient.UniqueName("router"), ["spec"] = spec };
    }

    /// <summary>Alice (or another) creates a router; asserts 201 and returns it.</summary>
    public async Task<JsonObject> CreateRouterAsync(string user, JsonObject body)
    {
        using var response = await As(user).PostAsync("/api/v1/routers", ApiClient.Json(body));
        var json = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{user} creating a router gave {(int)response.StatusCode}: {json.ToJsonString()}");
        return json;
    }

    /// <summary>The router's VM once it exists (its id is recorded a moment before it is made), as an administrator reads it.</summary>
    public async Task<JsonObject> RouterVmAsync(Guid routerId, Func<JsonObject, bool>? condition = null, string what = "to exist")
    {
        var router = await WaitForRouterAsync(routerId, r => r["status"]?["vmId"] is not null, "to name its VM");
        var vmId = (Guid)router["status"]!["vmId"]!;
        return await Eventually.WaitForAsync(async () =>
            await Api.FindAsync("vms", vmId) is JsonObject vm && (condition?.Invoke(vm) ?? true) ? vm : null,
            TimeSpan.FromSeconds(20), $"router VM {vmId} {what}");
    }

    /// <summary>Polls the router (as an administrator) until <paramref name="condition"/> holds.</summary>
    public async Task<JsonObject> WaitForRouterAsync(Guid id, Func<JsonObject, bool> condition, string what, TimeSpan? timeout = null)
    {
        JsonObject? last = null;
        try
        {
            return await Eventually.WaitForAsync(async () =>
            {
                last = await Api.GetAsync($"/api/v1/routers/{id}");
                return condition(last) ? last : null;
            }, timeout ?? TimeSpan.FromSeconds(20), $"router {id} {what}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Last seen: {last?.ToJsonString()}", e);
        }
    }
}
