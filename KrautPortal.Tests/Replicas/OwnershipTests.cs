using KrautPortal.Features.Reconciling;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Replicas;

/// <summary>
/// Reconciliation of each host and network is owned by exactly one replica at a time (PostgreSQL advisory locks), and
/// when the owner is killed (SIGKILL: no goodbye) another takes over within seconds: the user sees its VMs act again.
/// </summary>
public sealed class OwnershipTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan TakeOver = TimeSpan.FromSeconds(10);
    private ReplicaCluster _cluster = default!;

    public async Task InitializeAsync() => _cluster = await ReplicaCluster.StartAsync(replicas: 2, hosts: 2);

    public async Task DisposeAsync()
    {
        if (_cluster is null) return;
        output.WriteLine(_cluster.Errors());
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Each_host_and_network_has_exactly_one_owner_and_a_killed_owners_are_taken_over_within_seconds()
    {
        // Two VMs: spread placement puts one on each host, so both hosts are asked for.
        var api = _cluster.Api(0);
        var first = await api.CreateVmAsync("own-1", memoryMiB: 256);
        var second = await api.CreateVmAsync("own-2", memoryMiB: 256);
        await api.WaitForPhaseAsync(first, "running", TimeSpan.FromSeconds(30));
        await api.WaitForPhaseAsync(second, "running", TimeSpan.FromSeconds(30));
        var network = await api.IdOfAsync("networks", "default");
        // Not OwnerKeys.Placement: VMs are placed in the create's transaction now, so that key is asked for only by a
        // VM stored without a host or one that is gone, and taken when first asked.
        var keys = _cluster.Hosts.Select(OwnerKeys.Host).Append(OwnerKeys.Network(network)).ToList();

        // Every replica tries every key it has seen each round; still, one holder each.
        try
        {
            await Eventually.WaitUntilAsync(async () => (await _cluster.OwnersAsync(keys)).Count == keys.Count, TakeOver, "every key to have an owner");
        }
        catch (TimeoutException e)
        {
            var now = await _cluster.OwnersAsync(keys);
            throw new TimeoutException($"{e.Message} Without one: {string.Join(", ", keys.Where(k => !now.ContainsKey(k)))}", e);
        }
        var owners = await _cluster.OwnersAsync(keys);
        foreach (var key in keys) Assert.True(owners[key].Count == 1 && owners[key][0] >= 0, $"{key} is held by replicas [{string.Join(", ", owners[key])}]");

        var victim = owners[OwnerKeys.Host(_cluster.Hosts[0])][0];
        var survivor = 1 - victim;
        var lost = keys.Where(k => owners[k][0] == victim).ToList();
        _cluster.Replicas[victim].Kill();

        await Eventually.WaitUntilAsync(async () =>
        {
            var now = await _cluster.OwnersAsync(keys);
            return lost.All(k => now.TryGetValue(k, out var holders) && holders.SequenceEqual([survivor]));
        }, TakeOver, $"replica {survivor} to take over {string.Join(", ", lost)}");

        // What the user sees: the dead replica's VMs obey again, through the survivor.
        var survivorApi = _cluster.Api(survivor);
        await survivorApi.ActAsync(first, "stop");
        await survivorApi.ActAsync(second, "stop");
        await survivorApi.WaitForPhaseAsync(first, "stopped", TakeOver);
        await survivorApi.WaitForPhaseAsync(second, "stopped", TakeOver);
        var domains = new Dictionary<string, string>();
        foreach (var host in _cluster.Hosts)
            foreach (var (name, state) in await ReplicaCluster.DomainsAsync(host)) domains.Add(name, state);
        Assert.Equal(["shut off", "shut off"], domains.Values);
    }
}
