using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using KrautPortal.Features.AddressPools;
using KrautPortal.Features.Auth;
using KrautPortal.Features.BackupSchedules;
using KrautPortal.Features.Firewalls;
using KrautPortal.Features.Images;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Routers;
using KrautPortal.Features.Snapshots;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Auth;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KrautPortal.Tests.Authorization;

/// <summary>Who sends a request in the authorization tests.</summary>
/// <remarks>
/// AliceDevToken and AliceProdToken are alice's tokens with every verb and kind, limited by the selectors
/// <see cref="AuthorizationPortal.DevSelector"/> (which the matrix's objects match) and <see cref="AuthorizationPortal.ProdSelector"/> (which none does).
/// </remarks>
public enum Caller { Anonymous, Alice, Bob, AliceToken, Carol, God, AliceDevToken, AliceProdToken }

/// <summary>Who owns an object the tests arrange: a user, their group, or the administrators' shared pool.</summary>
public enum Owner { Alice, Bob, TeamX, Shared }

/// <summary>
/// One portal (test driver) with real people in it, from an htpasswd file written by Apache's htpasswd -B: alice
/// and bob in group team-x, carol in ops (the admin group), dave in none. Its clock can be moved, its log is
/// captured, and it remembers every password and token secret it handed out so tests can look for leaks.
/// </summary>
public sealed class AuthorizationPortal : IAsyncLifetime
{
    public const string Group = "team-x";
    public const string AdminGroup = "ops";
    public static readonly IReadOnlyDictionary<string, string> Passwords = new Dictionary<string, string>
    {
        ["alice"] = "alice-Pw-7f3a91",
        ["bob"] = "bob-Pw-2c84d0",
        ["carol"] = "carol-Pw-5e19b6",
        // In no group: shows what group membership adds.
        ["dave"] = "dave-Pw-0b6e42",
    };

    public const string TeamPool = "team-x-pool";
    public const string TeamPoolIpv4 = "10.128.0.0/9";
    public const string TeamPoolIpv6 = "fd4b:7e57::/32";

    private readonly TempDir _dir = new();
    private readonly Dictionary<Caller, HttpClient> _clients = [];

    public AuthorizationPortal()
    {
        var users = _dir.File("htpasswd");
        foreach (var (user, password) in Passwords) HtpasswdTool.Set(users, "-B", user, password);
        var groups = _dir.File("groups");
        File.WriteAllText(groups, $"{Group}: alice bob\n{AdminGroup}: carol\n");
        App = new KrautAppFactory(settings: new Dictionary<string, string?>
        {
            ["Auth:Htpasswd:File"] = users,
            ["Auth:Htpasswd:GroupsFile"] = groups,
            ["Auth:AdminGroups:0"] = AdminGroup,
        }, configure: builder => builder
            .ConfigureLogging(logging => logging.AddProvider(Log).AddFilter<CapturingLoggerProvider>(null, LogLevel.Debug))
            .ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock)));
        Api = new ApiClient(App);
        foreach (var password in Passwords.Values) Secrets.Add(password);
    }

    public KrautAppFactory App { get; }

    /// <summary>The API as the god token: for arranging and for checking what others did.</summary>
    public ApiClient Api { get; }

    /// <summary>The portal's clock; only a test that puts it back may move it.</summary>
    internal ManualClock Clock { get; } = new();

    public CapturingLoggerProvider Log { get; } = new();

    /// <summary>Every password and token secret used against this portal: none may ever show in the audit log or the log.</summary>
    public ConcurrentBag<string> Secrets { get; } = [];

    /// <summary>The selector of <see cref="Caller.AliceDevToken"/>; objects the matrix arranges carry this label.</summary>
    public const string DevSelector = "env=dev";

    /// <summary>The selector of <see cref="Caller.AliceProdToken"/>, which no arranged object matches.</summary>
    public const string ProdSelector = "env=prod";

    /// <summary>A token of alice that may do every verb to every kind it can name, with no selector.</summary>
    public CreatedToken AliceToken { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        foreach (var caller in Enum.GetValues<Caller>()) _clients[caller] = caller == Caller.God ? App.CreateClient() : App.CreateAnonymousClient();
        foreach (var (caller, user) in new[] { (Caller.Alice, "alice"), (Caller.Bob, "bob"), (Caller.Carol, "carol") })
            _clients[caller].DefaultRequestHeaders.TryAddWithoutValidation("Authorization", BasicHeader(user, Passwords[user]));
        // team-x's own address pool, as an administrator would set it up: the range the tests' networks come from (ApiClient.NextSubnet).
        using (var pool = await Api.PostAsync("/api/v1/address-pools", new JsonObject
        {
            ["name"] = TeamPool, ["owner"] = Group,
            ["spec"] = new JsonObject { ["ipv4"] = new JsonArray(TeamPoolIpv4), ["ipv6"] = new JsonArray(TeamPoolIpv6) },
        }))
        {
            Assert.Equal(HttpStatusCode.Created, pool.StatusCode);
        }
        AliceToken = await CreateTokenAsync(Caller.Alice, "matrix", [.. Features.Tokens.TokenVerbs.Crud, .. Features.Vms.VmOperations.Actions], Tokenable);
        _clients[Caller.AliceToken].DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + AliceToken.Secret);
        foreach (var (caller, selector) in new[] { (Caller.AliceDevToken, DevSelector), (Caller.AliceProdToken, ProdSelector) })
        {
            var limited = await CreateTokenAsync(Caller.Alice, "matrix-" + caller, [.. Features.Tokens.TokenVerbs.Crud, .. Features.Vms.VmOperations.Actions], Tokenable, selector);
            _clients[caller].DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + limited.Secret);
        }
    }

    public Task DisposeAsync()
    {
        foreach (var client in _clients.Values) client.Dispose();
        Api.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }

    public HttpClient Client(Caller caller) => _clients[caller];

    /// <summary>Kinds a token may name (all but tokens).</summary>
    public static readonly IReadOnlyList<string> Tokenable = Kinds.All.Where(k => k != Kinds.Tokens).Select(k => k.Name).ToList();

    public static string BasicHeader(string user, string password) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    /// <summary>A client with just this Authorization header (or none).</summary>
    public HttpClient ClientWith(string? authorization)
    {
        var client = App.CreateAnonymousClient();
        if (authorization is not null) client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        return client;
    }

    public sealed record CreatedToken(Guid Id, string Secret);

    public static JsonObject TokenBody(string name, IEnumerable<string> verbs, IEnumerable<string> kinds, string? selector = null, DateTime? expiresAt = null) => new()
    {
        ["name"] = name,
        ["spec"] = new JsonObject
        {
            ["verbs"] = new JsonArray(verbs.Select(v => (JsonNode)v).ToArray()),
            ["kinds"] = new JsonArray(kinds.Select(k => (JsonNode)k).ToArray()),
            ["selector"] = selector,
            ["expiresAt"] = (expiresAt ?? DateTime.UtcNow.AddDays(1)).ToString("O"),
        },
    };

    /// <summary>Creates a token through POST /api/v1/tokens as <paramref name="caller"/> and remembers its secret.</summary>
    public async Task<CreatedToken> CreateTokenAsync(Caller caller, string name, IEnumerable<string> verbs, IEnumerable<string> kinds,
        string? selector = null, DateTime? expiresAt = null)
    {
        using var response = await Client(caller).PostAsJsonAsync("/api/v1/tokens",
            TokenBody(ApiClient.UniqueName(name), verbs, kinds, selector, expiresAt));
        var json = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"creating a token as {caller} gave {(int)response.StatusCode}: {json.ToJsonString()}");
        var token = new CreatedToken(Guid.Parse((string)json["token"]!["id"]!), (string)json["secret"]!);
        Secrets.Add(token.Secret);
        Secrets.Add(token.Secret.Split('_')[^1]);
        return token;
    }

    /// <summary>A client that speaks with this token.</summary>
    public HttpClient TokenClient(CreatedToken token) => ClientWith("Bearer " + token.Secret);

    public static string NameOf(Owner owner) => owner switch
    {
        Owner.Alice => "alice",
        Owner.Bob => "bob",
        Owner.TeamX => Group,
        _ => Actor.SharedOwner,
    };

    /// <summary>
    /// An object of <paramref name="owner"/>. People create their own through the API. Kraut offers no way to
    /// create an object owned by a group or the shared pool, nor a machine type as a non-administrator, so those
    /// are stored the way first-run seeding stores shared objects: the kind's rules, then the store, with that owner.
    /// </summary>
    public async Task<JsonObject> ArrangeAsync(Owner owner, string kind, string name, JsonObject? metadata = null)
    {
        if (kind == Kinds.Tokens.Name)
        {
            var caller = owner == Owner.Alice ? Caller.Alice : owner == Owner.Bob ? Caller.Bob
                : throw new ArgumentException("tokens are owned by people", nameof(owner));
            var token = await CreateTokenAsync(caller, name, ["read"], ["vms"]);
            return await Api.GetAsync($"/api/v1/tokens/{token.Id}");
        }
        // A router serves a network of its own owner, one router per network: each gets a fresh network of that owner.
        var body = kind == Kinds.Routers.Name
            ? RouterBody(name, metadata, (Guid)(await ArrangeAsync(owner, Kinds.Networks.Name, name + "-net"))["id"]!)
            : kind == Kinds.Snapshots.Name
            ? SnapshotBody(name, metadata, owner is Owner.Alice or Owner.Bob
                ? await RunningVmAsync(owner, name + "-vm", metadata)
                : (Guid)(await ArrangeAsync(owner, Kinds.Vms.Name, name + "-vm", metadata?.DeepClone().AsObject()))["id"]!)
            : await Api.SampleAsync(kind, name, metadata);
        if (kind == Kinds.Vms.Name) body["spec"]!["nics"] = new JsonArray(new JsonObject { ["networkId"] = (await Api.SeededAsync()).DefaultNetworkId });
        if (kind != Kinds.MachineTypes.Name && kind != Kinds.AddressPools.Name && owner is Owner.Alice or Owner.Bob)
        {
            using var response = await Client(owner == Owner.Alice ? Caller.Alice : Caller.Bob).PostAsync($"/api/v1/{kind}", ApiClient.Json(body));
            var json = await ApiClient.ReadAsync(response);
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"{owner} creating a {kind} gave {(int)response.StatusCode}: {json.ToJsonString()}");
            return json;
        }
        var id = kind switch
        {
            "machine-types" => await StoreAsync<MachineTypeSpec, MachineTypeStatus>(NameOf(owner), body),
            "images" => await StoreAsync<ImageSpec, ImageStatus>(NameOf(owner), body),
            "networks" => await StoreAsync<NetworkSpec, NetworkStatus>(NameOf(owner), body),
            "vms" => await StoreAsync<VmSpec, VmStatus>(NameOf(owner), body),
            "address-pools" => await StoreAsync<AddressPoolSpec, AddressPoolStatus>(NameOf(owner), body),
            "routers" => await StoreAsync<RouterSpec, RouterStatus>(NameOf(owner), body),
            "snapshots" => await StoreSnapshotAsync(NameOf(owner), body),
            "firewalls" => await StoreAsync<FirewallSpec, FirewallStatus>(NameOf(owner), body),
            "backup-schedules" => await StoreAsync<BackupScheduleSpec, BackupScheduleStatus>(NameOf(owner), body),
            _ => throw new InvalidOperationException($"The tests do not know how to arrange a {kind}; teach AuthorizationPortal.ArrangeAsync."),
        };
        return await Api.GetAsync($"/api/v1/{kind}/{id}");
    }

    private async Task<Guid> StoreAsync<TSpec, TStatus>(string owner, JsonObject body) where TSpec : class where TStatus : class
    {
        await using var scope = App.CreateActorScope();
        var rules = scope.ServiceProvider.GetRequiredService<IResourceRules<TSpec, TStatus>>();
        var input = RequestBody.ToInput<TSpec>(body);
        var errors = new ValidationErrors();
        var spec = await rules.PrepareAsync(input.Spec, null, TestCredentials.Admin, errors, CancellationToken.None);
        errors.ThrowIfAny();
        var row = await scope.ServiceProvider.GetRequiredService<ResourceStore>().CreateAsync(new NewResource(rules.Kind.Name, input.Name, owner,
            input.Metadata, KrautJson.Serialize(spec), KrautJson.Serialize(rules.InitialStatus(spec))), Actor.System, CancellationToken.None);
        rules.Changed(row.Id);
        return row.Id;
    }

    /// <summary>
    /// A group's or the shared pool's snapshot, stored as recorded: their VMs (stored, like the other kinds' objects here,
    /// past the create's placement and IPAM) are never built, so the rules' "can this VM be snapshotted now?" would refuse.
    /// </summary>
    private async Task<Guid> StoreSnapshotAsync(string owner, JsonObject body)
    {
        await using var scope = App.CreateActorScope();
        var input = RequestBody.ToInput<SnapshotSpec>(body);
        var spec = input.Spec with { IncludeMemory = false };
        var row = await scope.ServiceProvider.GetRequiredService<ResourceStore>().CreateAsync(new NewResource(Kinds.Snapshots.Name, input.Name, owner,
            input.Metadata, KrautJson.Serialize(spec), KrautJson.Serialize(new SnapshotStatus())), Actor.System, CancellationToken.None);
        return row.Id;
    }

    /// <summary>
    /// A system object of <paramref name="owner"/>, made the way a reconciler makes one (a network's router VM): through the
    /// kind's service acting as Kraut. VMs get a NIC on the default network. Returns it as an administrator reads it.
    /// </summary>
    public async Task<JsonObject> ArrangeSystemAsync(Owner owner, string kind, string name, JsonObject? metadata = null)
    {
        var body = kind == Kinds.Routers.Name
            ? RouterBody(name, metadata, (Guid)(await ArrangeAsync(owner, Kinds.Networks.Name, name + "-net"))["id"]!)
            : kind == Kinds.Snapshots.Name
            ? SnapshotBody(name, metadata, await RunningVmAsync(owner, name + "-vm", metadata))
            : await Api.SampleAsync(kind, name, metadata);
        if (kind == Kinds.Vms.Name) body["spec"]!["nics"] = new JsonArray(new JsonObject { ["networkId"] = (await Api.SeededAsync()).DefaultNetworkId });
        var id = await AsKrautAsync(kind, async service => (await service.CreateAsync(body, NameOf(owner))).Id);
        return await Api.GetAsync($"/api/v1/{kind}/{id}");
    }

    public static JsonObject RouterBody(string name, JsonObject? metadata, Guid networkId) => new()
    {
        ["name"] = name,
        ["metadata"] = metadata ?? new JsonObject(),
        ["spec"] = new JsonObject { ["networkId"] = networkId },
    };

    /// <summary>A snapshot is taken only of a VM that runs or is stopped (not one still being created): a VM of its owner, running.</summary>
    private async Task<Guid> RunningVmAsync(Owner owner, string name, JsonObject? metadata)
    {
        var vm = (Guid)(await ArrangeAsync(owner, Kinds.Vms.Name, name, metadata?.DeepClone().AsObject()))["id"]!;
        await RunsAsync(vm);
        return vm;
    }

    /// <summary>Longer than <see cref="ApiClient.WaitForPhaseAsync"/>'s 10 s: the matrix builds many VMs at once.</summary>
    private Task RunsAsync(Guid vm) => Eventually.WaitUntilAsync(async () => (string?)(await Api.GetAsync($"/api/v1/vms/{vm}"))["status"]!["phase"] == "running",
        TimeSpan.FromSeconds(90), $"VM {vm} to run");

    public static JsonObject SnapshotBody(string name, JsonObject? metadata, Guid vmId) => new()
    {
        ["name"] = name,
        ["metadata"] = metadata?.DeepClone() ?? new JsonObject(),
        ["spec"] = new JsonObject { ["vmId"] = vmId },
    };

    /// <summary>A snapshot body for <paramref name="caller"/> to create: of a running VM of whoever the caller acts as (alice for her tokens).</summary>
    public async Task<JsonObject> SnapshotBodyForAsync(Caller caller, string name, JsonObject metadata)
    {
        var vmOwner = caller switch
        {
            Caller.Bob or Caller.Carol or Caller.God => caller,
            Caller.Anonymous => Caller.God,
            _ => Caller.Alice,
        };
        var vm = await Api.SampleAsync(Kinds.Vms.Name, name + "-vm", metadata.DeepClone().AsObject());
        vm["spec"]!["nics"] = new JsonArray(new JsonObject { ["networkId"] = (await Api.SeededAsync()).DefaultNetworkId });
        using var response = await Client(vmOwner).PostAsync("/api/v1/vms", ApiClient.Json(vm));
        var json = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{vmOwner} creating a VM gave {(int)response.StatusCode}: {json.ToJsonString()}");
        await RunsAsync((Guid)json["id"]!);
        return SnapshotBody(name, metadata, (Guid)json["id"]!);
    }

    /// <summary>
    /// A router body for <paramref name="caller"/> to create: on a fresh network of whoever the caller acts as (alice for
    /// her tokens), since a router may serve only its own owner's network.
    /// </summary>
    public async Task<JsonObject> RouterBodyForAsync(Caller caller, string name, JsonObject metadata)
    {
        var networkOwner = caller switch
        {
            Caller.Bob or Caller.Carol or Caller.God => caller,
            Caller.Anonymous => Caller.God,
            _ => Caller.Alice,
        };
        var network = await Api.SampleAsync(Kinds.Networks.Name, name + "-net");
        using var response = await Client(networkOwner).PostAsync("/api/v1/networks", ApiClient.Json(network));
        var json = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{networkOwner} creating a network gave {(int)response.StatusCode}: {json.ToJsonString()}");
        return RouterBody(name, metadata, (Guid)json["id"]!);
    }

    /// <summary>Replaces a system object's metadata as Kraut does (a new version); nobody else may.</summary>
    public Task<long> ChangeSystemMetadataAsync(string kind, Guid id, JsonObject metadata) =>
        AsKrautAsync(kind, async service => (await service.UpdateMetadataAsync(id, metadata)).Version);

    /// <summary>Deletes a system object as Kraut does (VMs: marked, then removed by their reconciler).</summary>
    public Task DeleteSystemAsync(string kind, Guid id) => AsKrautAsync(kind, async service => { await service.DeleteAsync(id); return true; });

    /// <summary>One kind's service acting as Kraut (<c>ResourceService.AsKraut</c>), for the calls a reconciler makes.</summary>
    private async Task<T> AsKrautAsync<T>(string kind, Func<IKrautService, Task<T>> work)
    {
        await using var scope = App.Services.CreateAsyncScope();
        IKrautService service = kind switch
        {
            "machine-types" => new KrautService<MachineTypeSpec, MachineTypeStatus>(scope),
            "images" => new KrautService<ImageSpec, ImageStatus>(scope),
            "networks" => new KrautService<NetworkSpec, NetworkStatus>(scope),
            "vms" => new KrautService<VmSpec, VmStatus>(scope),
            "address-pools" => new KrautService<AddressPoolSpec, AddressPoolStatus>(scope),
            "routers" => new KrautService<RouterSpec, RouterStatus>(scope),
            "snapshots" => new KrautService<SnapshotSpec, SnapshotStatus>(scope),
            "firewalls" => new KrautService<FirewallSpec, FirewallStatus>(scope),
            "backup-schedules" => new KrautService<BackupScheduleSpec, BackupScheduleStatus>(scope),
            _ => throw new InvalidOperationException($"The tests do not know how to make a system {kind}; teach AuthorizationPortal.AsKrautAsync."),
        };
        return await work(service);
    }

    private interface IKrautService
    {
        Task<(Guid Id, long Version)> CreateAsync(JsonObject body, string owner);
        Task<(Guid Id, long Version)> UpdateMetadataAsync(Guid id, JsonObject metadata);
        Task DeleteAsync(Guid id);
    }

    private sealed class KrautService<TSpec, TStatus>(AsyncServiceScope scope) : IKrautService where TSpec : class where TStatus : class
    {
        private readonly ResourceService<TSpec, TStatus> _service = scope.ServiceProvider.GetRequiredService<ResourceService<TSpec, TStatus>>().AsKraut();

        public async Task<(Guid Id, long Version)> CreateAsync(JsonObject body, string owner)
        {
            var created = await _service.CreateAsync(RequestBody.ToInput<TSpec>(body) with { Owner = owner }, CancellationToken.None, isSystem: true);
            return (created.Id, created.Version);
        }

        public async Task<(Guid Id, long Version)> UpdateMetadataAsync(Guid id, JsonObject metadata)
        {
            var changed = await _service.UpdateMetadataAsync(id, null, metadata, CancellationToken.None);
            return (changed.Id, changed.Version);
        }

        public Task DeleteAsync(Guid id) => _service.DeleteAsync(id, null, CancellationToken.None);
    }

    /// <summary>Runs a query on the portal's database, as the portal's own code would.</summary>
    public async Task<T> DbAsync<T>(Func<KrautDbContext, Task<T>> query)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<KrautDbContext>());
    }

    public Task<List<AuthEventRow>> AuthEventsAsync() => DbAsync(db => db.AuthEvents.AsNoTracking().OrderBy(e => e.Seq).ToListAsync());

    /// <summary>Every byte SQLite keeps for the portal (the database file and its write-ahead log); on PostgreSQL, a dump of all its data.</summary>
    public byte[] DatabaseBytes()
    {
        if (TestDatabase.IsPostgres) return PostgresServer.ForDataDirectory(App.DataDirectory, create: false).DumpData();
        var bytes = new List<byte>();
        foreach (var file in Directory.GetFiles(App.DataDirectory, "kraut.db*"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            bytes.AddRange(copy.ToArray());
        }
        return bytes.ToArray();
    }
}

[CollectionDefinition(Name)]
public sealed class AuthorizationCollection : ICollectionFixture<AuthorizationPortal>
{
    public const string Name = "Authorization";
}

/// <summary>Keeps every log line the portal writes (message and exception), so tests can search it.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
