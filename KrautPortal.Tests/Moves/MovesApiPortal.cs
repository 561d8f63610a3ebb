using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using KrautPortal.Features.Hosts;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Scheduling;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Moves;

/// <summary>
/// Two hosts on libvirt's test driver (see <see cref="SchedulingPortal"/>): moves there define and undefine real test-driver
/// domains without disks, so the API, the recorded wish and the reconciler's steps are checked in seconds.
/// </summary>
public class MovesApiPortal() : SchedulingPortal("spread")
{
    public static readonly TimeSpan Converge = TimeSpan.FromSeconds(30);

    /// <summary>A VM of the admin's, stopped or running, on <paramref name="host"/> (moved there when placed elsewhere).</summary>
    public async Task<(Guid Id, JsonObject Vm)> VmOnAsync(string host, bool running = false, string? labels = null)
    {
        var body = await VmBodyAsync(ApiClient.UniqueName("move"), 256, labels);
        body["spec"]!["power"] = running ? "running" : "stopped";
        using var created = await CreateAsync(body);
        var vm = await ApiClient.ReadAsync(created);
        Assert.True(created.IsSuccessStatusCode, vm.ToJsonString());
        var id = Guid.Parse((string)vm["id"]!);
        await WaitAsync(id, v => (string?)v["status"]?["phase"] == (running ? "running" : "stopped"), "the new VM settled");
        if ((string)vm["spec"]!["host"]! != host)
        {
            Assert.False(running, "a running VM cannot be moved onto the wanted host here; cordon the other host first");
            using var moved = await MoveAsync(id, host);
            Assert.Equal(HttpStatusCode.Accepted, moved.StatusCode);
            vm = await WaitAsync(id, v => (string?)v["status"]?["host"] == host && v["status"]?["move"] is null, $"the VM moved to {host}");
        }
        return (id, vm);
    }

    public Task<HttpResponseMessage> MoveAsync(Guid id, string? host, HttpClient? client = null) =>
        (client ?? Admin).PostAsJsonAsync($"/api/v1/vms/{id}/move", host is null ? new JsonObject() : new JsonObject { ["host"] = host });

    public async Task<JsonObject> GetVmAsync(Guid id) => JsonNode.Parse(await Admin.GetStringAsync($"/api/v1/vms/{id}"))!.AsObject();

    public async Task<JsonObject> WaitAsync(Guid id, Func<JsonObject, bool> condition, string what)
    {
        JsonObject? last = null;
        await Eventually.WaitUntilAsync(async () => condition(last = await GetVmAsync(id)), Converge, what);
        return last!;
    }

    /// <summary>Whether the host's libvirt has a domain for the VM (asked through the portal's own connection to it).</summary>
    public bool DefinedOn(string host, Guid id)
    {
        using var domain = App.Service<HostRegistry>().Find(host)!.Connection.FindDomain(id);
        return domain is not null;
    }

    public string OtherHost(string host) => host == DefaultHost ? SmallHost : DefaultHost;
}

/// <summary>Its own portal for the drain tests: a drain cordons its host for good.</summary>
public sealed class DrainApiPortal : MovesApiPortal;
