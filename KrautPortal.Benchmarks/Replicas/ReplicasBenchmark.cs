using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautPortal.Benchmarks.Support;

namespace KrautPortal.Benchmarks.Replicas;

/// <summary>
/// VM creates per second through one portal and through three replicas on the same PostgreSQL (libvirt's test driver
/// as the host: the portals' work, not QEMU's, is measured): the same burst of creates spread over the replicas, timed
/// to the last 201 and to the last VM running.
/// </summary>
public static class ReplicasBenchmark
{
    private const int Concurrency = 48;

    public static async Task<string> RunAsync(int creates, int rounds)
    {
        var loadAtStart = MachineInfo.LoadAverage();
        var results = new List<(int Replicas, int Round, double Accepted, double Running)>();
        for (var round = 1; round <= rounds; round++)
        {
            // Alternating, so a machine that slows down during the run does not favour one side.
            foreach (var replicas in round % 2 == 1 ? new[] { 1, 3 } : [3, 1])
            {
                var (accepted, running) = await MeasureAsync(replicas, creates);
                Console.WriteLine($"round {round}, {replicas} replica(s): {accepted:0.0} creates/s accepted, {running:0.0} creates/s to running");
                results.Add((replicas, round, accepted, running));
            }
        }
        return await ReportAsync(loadAtStart, creates, results);
    }

    /// <summary>A fresh database and replicas; returns creates per second until the last 201, and until the last VM ran.</summary>
    private static async Task<(double Accepted, double Running)> MeasureAsync(int replicas, int creates)
    {
        using var database = PostgresServer.CreateDatabase();
        var data = Directory.CreateTempSubdirectory("kraut-bench-replicas-").FullName;
        SeedImages.Put(data, SeedImages.Blank);
        var portals = new List<PortalProcess>();
        try
        {
            for (var i = 0; i < replicas; i++)
            {
                var portal = new PortalProcess(TestHosts.TestDriver, SeedImages.Blank, new Dictionary<string, string?>
                {
                    ["Database:Provider"] = "postgres",
                    ["ConnectionStrings:Kraut"] = database.ConnectionString,
                    ["Kraut:ReplicaName"] = $"bench-{i}",
                }, data) { AspNetEnvironment = "Production", GodTokenName = "bench" };
                portals.Add(portal);
                await portal.StartAsync(TimeSpan.FromSeconds(90));
            }
            var clients = portals.Select(p => p.CreateClient()).ToList();
            foreach (var client in clients) client.Timeout = TimeSpan.FromSeconds(120);
            var body = await BodyAsync(clients[0]);
            // Warm-up through every replica: JIT, pools, the hosts' keys taken.
            for (var i = 0; i < clients.Count; i++) await CreateAsync(clients[i], body, $"warm-{i}");
            await WaitAllRunningAsync(clients[0], replicas);

            using var gate = new SemaphoreSlim(Concurrency);
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, creates).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    await CreateAsync(clients[i % clients.Count], body, $"vm-{i:D4}");
                }
                finally
                {
                    gate.Release();
                }
            }));
            var accepted = clock.Elapsed.TotalSeconds;
            await WaitAllRunningAsync(clients[0], replicas + creates);
            var running = clock.Elapsed.TotalSeconds;
            foreach (var client in clients) client.Dispose();
            return (creates / accepted, creates / running);
        }
        finally
        {
            foreach (var portal in portals) portal.StopAndRemoveLeftovers();
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<JsonObject> BodyAsync(HttpClient client)
    {
        async Task<string> IdAsync(string kind, string name)
        {
            var list = await client.GetFromJsonAsync<JsonElement>($"/api/v1/{kind}?limit=500");
            return list.GetProperty("items").EnumerateArray().First(i => i.GetProperty("name").GetString() == name).GetProperty("id").GetString()!;
        }
        // Apart from the default network's random 10.x.1.0/24.
        var defaultNetwork = await client.GetFromJsonAsync<JsonElement>($"/api/v1/networks/{await IdAsync("networks", "default")}");
        var cidr = defaultNetwork.GetProperty("spec").GetProperty("ipv4Cidr").GetString()!.StartsWith("172.30.", StringComparison.Ordinal) ? "172.29.0.0/20" : "172.30.0.0/20";
        using var network = await client.PostAsJsonAsync("/api/v1/networks", new JsonObject { ["name"] = "bench", ["spec"] = new JsonObject { ["ipv4Cidr"] = cidr } });
        network.EnsureSuccessStatusCode();
        return new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["imageId"] = await IdAsync("images", "kraut-test-guest"),
                ["machineTypeId"] = await IdAsync("machine-types", "small"),
                ["memoryMiB"] = 256,
                ["nics"] = new JsonArray(new JsonObject { ["networkId"] = await IdAsync("networks", "bench") }),
            },
        };
    }

    private static async Task CreateAsync(HttpClient client, JsonObject template, string name)
    {
        var body = template.DeepClone().AsObject();
        body["name"] = name;
        using var response = await client.PostAsJsonAsync("/api/v1/vms", body);
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"create {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task WaitAllRunningAsync(HttpClient client, int count)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var running = 0;
            string? next = null;
            do
            {
                var page = await client.GetFromJsonAsync<JsonElement>("/api/v1/vms?limit=500" + (next is null ? "" : "&continue=" + Uri.EscapeDataString(next)));
                running += page.GetProperty("items").EnumerateArray().Count(v => v.GetProperty("status").GetProperty("phase").GetString() == "running");
                next = page.TryGetProperty("continue", out var token) && token.ValueKind == JsonValueKind.String ? token.GetString() : null;
            } while (next is not null);
            if (running >= count) return;
            if (deadline.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException($"only {running} of {count} VMs running after 10 min");
            await Task.Delay(100);
        }
    }

    private static async Task<string> ReportAsync(string loadAtStart, int creates, List<(int Replicas, int Round, double Accepted, double Running)> results)
    {
        string F(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);
        var table = new MarkdownTable("round", "replicas", "creates/s until the last 201", "creates/s until the last running");
        foreach (var r in results) table.Add(r.Round.ToString(CultureInfo.InvariantCulture), r.Replicas.ToString(CultureInfo.InvariantCulture), F(r.Accepted), F(r.Running));
        double Median(int replicas, Func<(int Replicas, int Round, double Accepted, double Running), double> pick)
        {
            var values = results.Where(r => r.Replicas == replicas).Select(pick).Order().ToList();
            return values[values.Count / 2];
        }
        var (one, three) = (Median(1, r => r.Accepted), Median(3, r => r.Accepted));
        var (oneRun, threeRun) = (Median(1, r => r.Running), Median(3, r => r.Running));
        var text = new StringBuilder()
            .AppendLine("## replicas: VM creates per second through 1 vs 3 portal replicas")
            .AppendLine()
            .Append(await MachineInfo.DescribeAsync(loadAtStart))
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Per round and side: a fresh PostgreSQL database (the test server of `scripts/start-test-postgres.sh`, fsync off), the replicas started on it with one shared data directory, one warm-up create through each, then {creates} `POST /api/v1/vms` ({Concurrency} in flight, spread round robin over the replicas), each VM with one NIC on a /20 network, on libvirt's test driver (`test:///default`). Timed from the first request to the last 201, and to the moment the API lists every VM as running.")
            .AppendLine()
            .Append(table)
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"**Median creates/s until the last 201: 1 replica {F(one)}, 3 replicas {F(three)} (3 / 1 = {Stats.Ratio(three, one)}); until the last running: {F(oneRun)} vs {F(threeRun)} ({Stats.Ratio(threeRun, oneRun)}).**")
            .AppendLine()
            .AppendLine("- The baseline is the same portal as one process; the replicas run on the same machine, so they share its cores: on one machine, three replicas cannot be faster than the cores allow; what this shows is the cost of being several (LISTEN/NOTIFY on every write, ownership checks, requests forwarded to the owner).")
            .AppendLine("- Reconciliation of one host is done by the one replica that owns it, whichever replica accepted the create; with one test host, all domains are defined by one replica.");
        Console.WriteLine(text);
        return text.ToString();
    }
}
