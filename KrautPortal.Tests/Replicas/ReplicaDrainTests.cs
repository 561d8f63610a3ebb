using System.Text.Json.Nodes;
using KrautPortal.Features.Reconciling;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Replicas;

/// <summary>
/// A drain asked of the replica that does not own the host is carried out by the one that does, and by it alone: every VM
/// is moved once, each move started by the owner (its log says so), none by the other.
/// </summary>
public sealed class ReplicaDrainTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);
    private ReplicaCluster _cluster = default!;

    public async Task InitializeAsync() => _cluster = await ReplicaCluster.StartAsync(replicas: 2, hosts: 2);

    public async Task DisposeAsync()
    {
        if (_cluster is null) return;
        output.WriteLine(_cluster.Errors());
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task A_drain_asked_of_either_replica_is_carried_out_by_the_hosts_owner_alone()
    {
        var api = _cluster.Api(0);
        var vms = new List<Guid>();
        for (var i = 0; i < 3; i++) vms.Add(await api.CreateVmAsync($"drain-{i}", memoryMiB: 256));
        foreach (var id in vms) await api.WaitForPhaseAsync(id, "running", Converge);
        foreach (var id in vms) await api.ActAsync(id, "stop");
        foreach (var id in vms) await api.WaitForPhaseAsync(id, "stopped", Converge);

        async Task<JsonObject> Vm(Guid id) => JsonNode.Parse(await api.Http.GetStringAsync($"/api/v1/vms/{id}"))!.AsObject();
        var drained = (string)(await Vm(vms[0]))["status"]!["host"]!;
        var other = _cluster.Hosts.Single(h => h != drained);
        var onDrained = new List<Guid>();
        foreach (var id in vms)
            if ((string?)(await Vm(id))["status"]!["host"] == drained) onDrained.Add(id);

        var key = OwnerKeys.Host(drained);
        await Eventually.WaitUntilAsync(async () => (await _cluster.OwnersAsync([key])).ContainsKey(key), Converge, "the drained host to have an owner");
        var owner = (await _cluster.OwnersAsync([key]))[key].Single();
        var asked = 1 - owner;

        var askedApi = _cluster.Api(asked);
        var hosts = JsonNode.Parse(await askedApi.Http.GetStringAsync("/api/v1/hosts"))!.AsArray();
        var hostId = (string)hosts.Single(h => (string)h!["uri"]! == drained)!["id"]!;
        using (var response = await askedApi.Http.PostAsync($"/api/v1/hosts/{hostId}/drain", null))
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        JsonObject? drain = null;
        await Eventually.WaitUntilAsync(async () =>
        {
            var now = JsonNode.Parse(await api.Http.GetStringAsync("/api/v1/hosts"))!.AsArray();
            drain = now.Single(h => (string)h!["uri"]! == drained)!["drain"]?.AsObject();
            return drain?["finishedAt"] is not null;
        }, Converge, "the drain finished");

        Assert.All(drain!["vms"]!.AsArray(), v => Assert.Equal("moved", (string?)v!["state"]));
        foreach (var id in onDrained)
        {
            Assert.Equal(other, (string?)(await Vm(id))["status"]!["host"]);
            var started = $"Drain of {drained}: moving VM {id}";
            Assert.Equal(1, Count(_cluster.Replicas[owner].Log, started));
            Assert.Equal(0, Count(_cluster.Replicas[asked].Log, started));
        }
    }

    private static int Count(string log, string text)
    {
        var count = 0;
        for (var at = log.IndexOf(text, StringComparison.Ordinal); at >= 0; at = log.IndexOf(text, at + text.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
