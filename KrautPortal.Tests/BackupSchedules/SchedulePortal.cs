using System.Text;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Auth;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.BackupSchedules;

/// <summary>A portal on libvirt's test driver with two people, alice and bob, for the backup schedules' API checks.</summary>
public sealed class SchedulePortal : IAsyncLifetime
{
    private static readonly Dictionary<string, string> Passwords = new() { ["alice"] = "alice-Sched-83d1f0", ["bob"] = "bob-Sched-29c7aa" };
    private readonly TempDir _dir = new();
    private readonly Dictionary<string, HttpClient> _people = [];

    public SchedulePortal()
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

    /// <summary>A VM of <paramref name="owner"/> on the demo host with the given metadata (made by the administrator for them).</summary>
    public async Task<Guid> VmOfAsync(string owner, JsonObject? metadata = null)
    {
        var body = await Api.SampleAsync("vms", ApiClient.UniqueName("vm"), metadata);
        body["owner"] = owner;
        return (Guid)(await Api.CreateAsync("vms", body))["id"]!;
    }

    public static JsonObject Schedule(JsonObject spec) => new() { ["name"] = ApiClient.UniqueName("sched"), ["spec"] = spec };

    /// <summary>The schedule once its first run finished (next run set), as <paramref name="client"/> sees it.</summary>
    public static async Task<JsonObject> AfterFirstRunAsync(HttpClient client, Guid id)
    {
        JsonObject? schedule = null;
        await Eventually.WaitUntilAsync(async () =>
        {
            schedule = await ApiClient.ReadAsync(await client.GetAsync($"/api/v1/backup-schedules/{id}"));
            return schedule["status"]?["nextRunAt"] is not null && schedule["status"]?["lastRunAt"] is not null;
        }, TimeSpan.FromSeconds(30), $"schedule {id} to run");
        return schedule!;
    }
}
