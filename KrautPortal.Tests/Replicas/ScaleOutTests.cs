using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautPortal.Features.Reconciling;
using Xunit.Abstractions;

namespace KrautPortal.Tests.Replicas;

/// <summary>
/// The scale-out promise under load and loss: three replicas on one PostgreSQL, 200 VM creates sent at once spread over
/// them, and the replica that reconciles the hosts killed with SIGKILL in the middle. Afterwards nothing is lost or
/// doubled: every accepted VM exists, each VM is defined once on libvirt and runs, no address is handed out twice, and
/// the dead replica's hosts are reconciled by a survivor.
/// </summary>
public sealed class ScaleOutTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Creates = 200;
    private const int KillAfterAnswers = 60;
    private static readonly string[] Subnets = ["172.30.0.0/22", "172.29.0.0/22"];
    private ReplicaCluster _cluster = default!;

    public async Task InitializeAsync() => _cluster = await ReplicaCluster.StartAsync(replicas: 3, hosts: 2);

    public async Task DisposeAsync()
    {
        if (_cluster is null) return;
        output.WriteLine(_cluster.Errors());
        await _cluster.DisposeAsync();
    }

    private enum Outcome { Created, Refused, NoAnswer }

    [Fact]
    public async Task Two_hundred_creates_over_three_replicas_with_the_host_owner_killed_midway_lose_and_double_nothing()
    {
        var api = _cluster.Api(0);
        // Room for 200 addresses (the default network's /24 would be nearly full), apart from the default network's random one.
        var defaultCidr = (await api.Http.GetFromJsonAsync<JsonElement>($"/api/v1/networks/{await api.IdOfAsync("networks", "default")}"))
            .GetProperty("spec").GetProperty("ipv4Cidr").GetString()!;
        var cidr = Subnets.First(c => c[..7] != defaultCidr[..Math.Min(7, defaultCidr.Length)]);
        var network = await api.CreateAsync("networks", new JsonObject { ["name"] = "scale", ["spec"] = new JsonObject { ["ipv4Cidr"] = cidr } });
        var image = await api.IdOfAsync("images", "kraut-test-guest");
        var machineType = await api.IdOfAsync("machine-types", "small");
        // A first VM makes the hosts' keys taken; the replica holding the first host's is the one to kill.
        var warm = await api.CreateAsync("vms", Vm("scale-warm", image, machineType, network));
        await api.WaitForPhaseAsync(warm, "running", TimeSpan.FromSeconds(30));
        var keys = _cluster.Hosts.Select(OwnerKeys.Host).Append(OwnerKeys.Placement).Append(OwnerKeys.Network(network)).ToList();
        var before = await _cluster.OwnersAsync(keys);
        var victim = before[OwnerKeys.Host(_cluster.Hosts[0])].Single();
        var lost = keys.Where(k => before.TryGetValue(k, out var holders) && holders.Contains(victim)).ToList();
        output.WriteLine($"killing replica {victim}, holder of {string.Join(", ", lost)}");

        var clients = _cluster.Replicas.Select(r =>
        {
            var client = r.CreateClient();
            client.Timeout = TimeSpan.FromSeconds(200);
            return client;
        }).ToList();
        var answers = 0;
        var killed = new TaskCompletionSource();
        var results = await Task.WhenAll(Enumerable.Range(0, Creates).Select(async i =>
        {
            var replica = i % clients.Count;
            var result = await CreateAsync(clients[replica], Vm($"scale-{i:D3}", image, machineType, network));
            if (Interlocked.Increment(ref answers) == KillAfterAnswers)
            {
                _cluster.Replicas[victim].Kill();
                killed.SetResult();
            }
            return (Name: $"scale-{i:D3}", Replica: replica, result.Outcome, result.Id, result.Detail);
        }));
        await killed.Task;
        foreach (var group in results.GroupBy(r => (r.Replica, r.Outcome))) output.WriteLine($"replica {group.Key.Replica}: {group.Count()} {group.Key.Outcome}");

        // A live replica refuses nothing; the dead one answered some (those must exist) and left others unanswered.
        var refused = results.Where(r => r.Outcome == Outcome.Refused).ToList();
        Assert.True(refused.Count == 0, "refused: " + string.Join("; ", refused.Select(r => $"{r.Name} on {r.Replica}: {r.Detail}")));
        Assert.Contains(results, r => r.Replica == victim && r.Outcome == Outcome.NoAnswer);

        var survivor = Enumerable.Range(0, clients.Count).First(i => i != victim);
        var survivorApi = _cluster.Api(survivor);
        List<JsonElement> vms = [];
        try
        {
            await Eventually.WaitUntilAsync(async () =>
            {
                vms = await ListVmsAsync(clients[survivor]);
                return vms.All(v => v.GetProperty("status").GetProperty("phase").GetString() == "running");
            }, TimeSpan.FromMinutes(3), "every VM to run");
        }
        catch (TimeoutException)
        {
            foreach (var vm in vms.Where(v => v.GetProperty("status").GetProperty("phase").GetString() != "running").Take(10))
                output.WriteLine($"not running: {vm.GetProperty("name")} {vm.GetProperty("status")}");
            throw;
        }

        var byName = vms.ToDictionary(v => v.GetProperty("name").GetString()!);
        foreach (var created in results.Where(r => r.Outcome == Outcome.Created))
            Assert.True(byName.TryGetValue(created.Name, out var vm) && vm.GetProperty("id").GetGuid() == created.Id, $"{created.Name} was accepted (201) but is missing");
        output.WriteLine($"{vms.Count} VMs exist: {results.Count(r => r.Outcome == Outcome.Created)} accepted, the rest of {Creates} unanswered ones made it or not");

        // Defined once, running, nothing half-made: every domain belongs to a VM, every VM has exactly one domain.
        var domains = new List<(string Host, string Name, string State)>();
        foreach (var host in _cluster.Hosts)
            domains.AddRange((await ReplicaCluster.DomainsAsync(host)).Select(d => (host, d.Key, d.Value)));
        var expected = vms.Select(v => $"kraut-{v.GetProperty("id").GetGuid():D}").ToHashSet();
        foreach (var twice in domains.GroupBy(d => d.Name).Where(g => g.Count() > 1)) Assert.Fail($"{twice.Key} is defined {twice.Count()} times");
        Assert.Empty(domains.Where(d => !expected.Contains(d.Name)).Select(d => $"{d.Name} on {d.Host} has no VM"));
        Assert.Empty(expected.Except(domains.Select(d => d.Name)).Select(n => $"{n} is not defined anywhere"));
        Assert.All(domains, d => Assert.Equal("running", d.State));

        // No address and no MAC handed out twice.
        var nics = vms.SelectMany(v => v.GetProperty("spec").GetProperty("nics").EnumerateArray()).ToList();
        var addresses = nics.Select(n => (Network: n.GetProperty("networkId").GetGuid(), Address: n.GetProperty("ipv4Address").GetString())).ToList();
        Assert.All(addresses, a => Assert.False(string.IsNullOrEmpty(a.Address)));
        Assert.Equal(addresses.Count, addresses.Distinct().Count());
        var macs = nics.Select(n => n.GetProperty("mac").GetString()).ToList();
        Assert.Equal(macs.Count, macs.Distinct().Count());

        // The dead replica's keys are held, each by exactly one survivor.
        var after = await _cluster.OwnersAsync(lost);
        foreach (var key in lost) Assert.True(after.TryGetValue(key, out var holders) && holders.Count == 1 && holders[0] != victim && holders[0] >= 0,
            $"{key} is held by [{string.Join(", ", after.GetValueOrDefault(key) ?? [])}] after replica {victim} died");
        foreach (var client in clients) client.Dispose();
    }

    private static JsonObject Vm(string name, Guid image, Guid machineType, Guid network) => new()
    {
        ["name"] = name,
        ["spec"] = new JsonObject
        {
            ["imageId"] = image.ToString(),
            ["machineTypeId"] = machineType.ToString(),
            ["memoryMiB"] = 256,
            ["nics"] = new JsonArray(new JsonObject { ["networkId"] = network.ToString() }),
        },
    };

    private static async Task<(Outcome Outcome, Guid? Id, string? Detail)> CreateAsync(HttpClient client, JsonObject body)
    {
        try
        {
            using var response = await client.PostAsJsonAsync("/api/v1/vms", body);
            var text = await response.Content.ReadAsStringAsync();
            return response.StatusCode == HttpStatusCode.Created
                ? (Outcome.Created, JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid(), null)
                : (Outcome.Refused, null, $"{(int)response.StatusCode} {text}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return (Outcome.NoAnswer, null, e.Message);
        }
    }

    private static async Task<List<JsonElement>> ListVmsAsync(HttpClient client)
    {
        var items = new List<JsonElement>();
        string? next = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>("/api/v1/vms?limit=500" + (next is null ? "" : "&continue=" + Uri.EscapeDataString(next)));
            items.AddRange(page.GetProperty("items").EnumerateArray().Select(e => e.Clone()));
            next = page.TryGetProperty("continue", out var token) && token.ValueKind == JsonValueKind.String ? token.GetString() : null;
        } while (next is not null);
        return items;
    }
}
