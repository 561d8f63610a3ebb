using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using KrautPortal.Benchmarks.Support;
using KrautPortal.Features.Scheduling;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KrautPortal.Benchmarks.Scheduling;

/// <summary>
/// Placement decisions per second with 100 hosts (each its own libvirt test-driver hypervisor, its CPUs and memory read
/// from libvirt) and 5,000 placed VMs in a SQLite store: Kraut's decision as a create makes it (per-host sums from the store, the VMs the rules
/// need read through <see cref="KindReader"/>, then every filter and weigher with an explanation per host) against one hand-written SQL query
/// that sums the VMs per host in the database and picks the host with most room, in the same run.
/// </summary>
public static class PlacementBenchmark
{
    private const int Hosts = 100;
    private const int Rounds = 3;
    private const long GiB = 1L << 30;

    private sealed record Case(string Label, VmSpec Spec, JsonObject Metadata, string? AntiAffinityApp);

    public static async Task<string> RunAsync(int vms, int decisions)
    {
        var loadAtStart = MachineInfo.LoadAverage();
        var directory = Directory.CreateTempSubdirectory("kraut-bench-placement-").FullName;
        try
        {
            var hosts = ReadHosts(directory);
            await using var services = Build(directory);
            await services.MigrateKrautStoreAsync();
            var overcommit = new OvercommitOptions();
            var (imageId, typeId) = await FillAsync(services, hosts, vms);
            // Overcommit set at runtime, to the configured defaults (so both sides still apply the same ratios): the installation's and 10 hosts' own.
            await InScopeAsync(services, async store =>
            {
                var settings = new OvercommitSettings(store, Options.Create(overcommit));
                var same = new OvercommitValues(overcommit.CpuOvercommit, overcommit.MemoryOvercommit, overcommit.DiskOvercommit, overcommit.HostMemoryReserveMiB);
                await settings.SetAsync(null, same, Actor.System, default);
                foreach (var host in hosts.Take(10)) await settings.SetAsync(host.Uri, same, Actor.System, default);
            });
            var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory, "kraut.db"), Pooling = true }.ToString();
            await CreateHostTableAsync(connectionString, hosts);

            var plain = new VmSpec { ImageId = imageId, MachineTypeId = typeId, Vcpus = 2, MemoryMiB = 2048, DiskGiB = 20 };
            Case[] cases =
            [
                new("2 vCPUs, 2 GiB, spread", plain, new JsonObject(), null),
                new("same, hard anti-affinity app=app-7", plain with
                {
                    Placement = new VmPlacement { AntiAffinity = [new VmPlacementRule { Selector = "app=app-7", Hard = true }] },
                }, new JsonObject { ["app"] = "app-7" }, "app-7"),
            ];

            var rows = new List<(Case Case, List<double> Kraut, List<double> Hand, bool Agree)>();
            foreach (var c in cases)
            {
                var kraut = new List<double>();
                var hand = new List<double>();
                var krautHost = await KrautDecideAsync(services, c, hosts, overcommit); // warm-up, and the answers to compare
                var handHost = await HandDecideAsync(connectionString, c, overcommit);
                for (var round = 1; round <= Rounds; round++)
                {
                    if (round % 2 == 1)
                    {
                        kraut.Add(await TimeAsync(decisions, () => KrautDecideAsync(services, c, hosts, overcommit)));
                        hand.Add(await TimeAsync(decisions, () => HandDecideAsync(connectionString, c, overcommit)));
                    }
                    else
                    {
                        hand.Add(await TimeAsync(decisions, () => HandDecideAsync(connectionString, c, overcommit)));
                        kraut.Add(await TimeAsync(decisions, () => KrautDecideAsync(services, c, hosts, overcommit)));
                    }
                }
                Console.WriteLine($"{c.Label}: Kraut chose {krautHost}, by hand {handHost}");
                rows.Add((c, kraut, hand, krautHost == handHost));
            }
            return await ReportAsync(loadAtStart, vms, decisions, rows);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>100 test-driver hosts of 16 to 64 CPUs and 64 to 512 GiB, as libvirt reports them.</summary>
    private static List<HostFacts> ReadHosts(string directory)
    {
        var list = new List<HostFacts>();
        for (var i = 0; i < Hosts; i++)
        {
            var cpus = 16 + 16 * (i % 4);
            var memoryKiB = (64L << 20) * (1 + i % 8);
            var file = Path.Combine(directory, $"host-{i:000}.xml");
            File.WriteAllText(file, $"<node><cpu><mhz>2000</mhz><model>x86_64</model><active>{cpus}</active><nodes>1</nodes><sockets>1</sockets>"
                + $"<cores>{cpus}</cores><threads>1</threads></cpu><memory>{memoryKiB}</memory></node>");
            var uri = "test://" + file;
            using var connection = LibvirtConnection.Open(uri);
            var facts = connection.GetNodeFacts();
            list.Add(new HostFacts(uri, true, false, facts.Cpus, (long)facts.MemoryKiB * 1024, 1L << 50, uri,
                new HashSet<string> { "x86_64" }, new HashSet<string>()));
        }
        return list;
    }

    /// <summary>The store as a create finds it: an image, a machine type, and <paramref name="vms"/> VMs spread over the hosts with labels app=app-0…49.</summary>
    private static async Task<(Guid Image, Guid Type)> FillAsync(ServiceProvider services, List<HostFacts> hosts, int vms)
    {
        var imageId = Guid.CreateVersion7();
        var typeId = Guid.CreateVersion7();
        await InScopeAsync(services, async store =>
        {
            await store.CreateAsync(new NewResource("images", "bench-image", "admin", new JsonObject(),
                """{"architecture":"x86_64"}""", $$"""{"phase":"ready","virtualSizeBytes":{{10 * GiB}}}""", Id: imageId), Actor.System, default);
            await store.CreateAsync(new NewResource("machine-types", "bench-type", "admin", new JsonObject(),
                """{"architecture":"x86_64","vcpus":{"default":1,"min":1,"max":8},"memoryMiB":{"default":1024,"min":256,"max":16384}}""", "{}", Id: typeId),
                Actor.System, default);
        });
        // A fresh scope (and so a fresh change tracker) per batch: one context tracking thousands of rows slows every save.
        for (var from = 0; from < vms; from += 250)
        {
            var start = from;
            await InScopeAsync(services, async store =>
            {
                for (var i = start; i < Math.Min(vms, start + 250); i++)
                {
                    var spec = new VmSpec { ImageId = imageId, MachineTypeId = typeId, Vcpus = 1 + i % 4, MemoryMiB = 512 << (i % 4), DiskGiB = 20 };
                    var host = hosts[(int)((i * 7919L) % hosts.Count)].Uri;
                    await store.CreateAsync(new NewResource("vms", $"vm-{i:00000}", "admin", new JsonObject { ["app"] = $"app-{i % 50}" },
                        KrautJson.Serialize(spec with { Host = host }), KrautJson.Serialize(new VmStatus { Host = host })), Actor.System, default);
                }
            });
        }
        return (imageId, typeId);
    }

    private static async Task InScopeAsync(ServiceProvider services, Func<ResourceStore, Task> work)
    {
        await using var scope = services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceStore>();
        await store.InTransactionAsync(async () =>
        {
            await work(store);
            return 0;
        }, default);
    }

    private static async Task CreateHostTableAsync(string connectionString, List<HostFacts> hosts)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var create = connection.CreateCommand();
        create.CommandText = "CREATE TABLE bench_hosts (uri TEXT PRIMARY KEY, cpus INTEGER NOT NULL, memory_bytes INTEGER NOT NULL, cordoned INTEGER NOT NULL)";
        await create.ExecuteNonQueryAsync();
        foreach (var h in hosts)
        {
            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO bench_hosts VALUES ($uri, $cpus, $memory, 0)";
            insert.Parameters.AddWithValue("$uri", h.Uri);
            insert.Parameters.AddWithValue("$cpus", h.Cpus);
            insert.Parameters.AddWithValue("$memory", h.MemoryBytes);
            await insert.ExecuteNonQueryAsync();
        }
    }

    /// <summary>What the create's transaction does after its lock: a scope, the store's VMs, the scheduler.</summary>
    private static async Task<string?> KrautDecideAsync(ServiceProvider services, Case c, List<HostFacts> hosts, OvercommitOptions defaults)
    {
        await using var scope = services.CreateAsyncScope();
        var reader = scope.ServiceProvider.GetRequiredService<KindReader>();
        // The overcommit set at runtime is read per decision, as the create's transaction reads it.
        var overcommit = await new OvercommitSettings(scope.ServiceProvider.GetRequiredService<ResourceStore>(), Options.Create(defaults)).ReadAsync(default);
        var decision = await VmScheduling.DecideAsync(reader, null, c.Spec, c.Metadata, hosts, overcommit, new SchedulingOptions(), default);
        if (decision.Hosts.Count != Hosts) throw new InvalidOperationException("every host needs a verdict");
        return decision.Host;
    }

    /// <summary>
    /// The same rules in one query: vCPUs and memory summed per host from the VMs' JSON, the ceilings as Kraut computes them,
    /// anti-affinity through the label index, and spread's room (mean of free memory and free vCPUs after placing) to order.
    /// It gives no reason per host; that is the part of Kraut's work it leaves out.
    /// </summary>
    private static async Task<string?> HandDecideAsync(string connectionString, Case c, OvercommitOptions o)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var query = connection.CreateCommand();
        var anti = c.AntiAffinityApp is null ? "" : """
            AND NOT EXISTS (SELECT 1 FROM resource_labels AS l JOIN resources AS v ON v.Seq = l.ResourceSeq
                            WHERE l.Kind = 'vms' AND l.Key = 'app' AND l.Value = $app AND v.Kind = 'vms' AND json_extract(v.Status, '$.host') = h.uri)
            """;
        query.CommandText = $"""
            SELECT h.uri FROM bench_hosts AS h
            LEFT JOIN (SELECT json_extract(r.Status, '$.host') AS host, SUM(json_extract(r.Spec, '$.vcpus')) AS vcpus,
                              SUM(json_extract(r.Spec, '$.memoryMiB')) * 1048576.0 AS memory
                       FROM resources AS r WHERE r.Kind = 'vms' GROUP BY 1) AS a ON a.host = h.uri
            WHERE h.cordoned = 0
              AND h.cpus * $cpuRatio - COALESCE(a.vcpus, 0) >= $vcpus
              AND h.memory_bytes * $memoryRatio - $reserve - COALESCE(a.memory, 0) >= $memory
              {anti}
            ORDER BY ((h.memory_bytes * $memoryRatio - $reserve - COALESCE(a.memory, 0) - $memory) / (h.memory_bytes * $memoryRatio - $reserve)
                    + (h.cpus * $cpuRatio - COALESCE(a.vcpus, 0) - $vcpus) / (h.cpus * $cpuRatio)) DESC, h.uri
            LIMIT 1
            """;
        query.Parameters.AddWithValue("$cpuRatio", o.CpuOvercommit);
        query.Parameters.AddWithValue("$memoryRatio", o.MemoryOvercommit);
        query.Parameters.AddWithValue("$reserve", o.HostMemoryReserveMiB * 1048576.0);
        query.Parameters.AddWithValue("$vcpus", c.Spec.Vcpus);
        query.Parameters.AddWithValue("$memory", c.Spec.MemoryMiB * 1048576.0);
        if (c.AntiAffinityApp is not null) query.Parameters.AddWithValue("$app", c.AntiAffinityApp);
        return await query.ExecuteScalarAsync() as string;
    }

    private static async Task<double> TimeAsync(int decisions, Func<Task<string?>> decide)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < decisions; i++)
            if (await decide() is null) throw new InvalidOperationException("no host chosen");
        return decisions / clock.Elapsed.TotalSeconds;
    }

    private static ServiceProvider Build(string directory)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Database:Provider"] = "sqlite" }).Build();
        var services = new ServiceCollection();
        services.AddSingleton(TimeProvider.System);
        services.AddKrautStore(config, directory);
        return services.BuildServiceProvider();
    }

    private static async Task<string> ReportAsync(string loadAtStart, int vms, int decisions, List<(Case Case, List<double> Kraut, List<double> Hand, bool Agree)> rows)
    {
        string F(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);
        static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        var table = new MarkdownTable("case", "Kraut (decisions/s)", "by hand SQL (decisions/s)", "by hand / Kraut", "same host");
        foreach (var (c, kraut, hand, agree) in rows)
            table.Add(c.Label, F(Median(kraut)), F(Median(hand)), Stats.Ratio(Median(hand), Median(kraut)), agree ? "yes" : "no");
        var text = new StringBuilder()
            .AppendLine("## placement: decisions per second, 100 hosts")
            .AppendLine()
            .Append(await MachineInfo.DescribeAsync(loadAtStart))
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"{Hosts} hosts (libvirt test-driver hypervisors, 16–64 CPUs, 64–512 GiB, read through libvirt), {vms} placed VMs "
                + $"(1–4 vCPUs, 512 MiB–4 GiB, labels app=app-0…49) in one SQLite file; {decisions} decisions per round and side, "
                + $"median of {Rounds} rounds after a warm-up, sides alternating. Default overcommit (CPU 4, memory 1, 1 GiB reserved), also set at runtime "
                + $"for the installation and 10 hosts (the same values), which Kraut reads per decision.")
            .AppendLine()
            .Append(table)
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"**Ratio by hand / Kraut (median, plain case): {Stats.Ratio(Median(rows[0].Hand), Median(rows[0].Kraut))}.**")
            .AppendLine()
            .AppendLine("- Kraut: per decision a service scope and `VmScheduling.DecideAsync` as a create calls it inside its transaction: machine types and "
                + "image sizes read through `KindReader`; what each host carries (count, vCPUs, memory, disk) summed in SQL grouped by host, machine type and image "
                + "(sizes left 0 filled from the machine type's default or the image's size); only the VMs the rules can look at read one by one (those the VM's rule "
                + "selectors match, through the store's selector SQL; those with anti-affinity rules of their own; dedicated ones); then the nine filters and four "
                + "weighers on every host with a sentence per refused host. Host facts come from memory (the node-facts cache), as in a create.")
            .AppendLine("- By hand: one parameterised query on a pooled connection; SQLite sums vCPUs and memory per host from the JSON, applies the same ceilings "
                + "and anti-affinity through `resource_labels`, and orders by the same room formula. It explains nothing and skips dedicated, disk and architecture.");
        Console.WriteLine(text);
        return text.ToString();
    }
}
