using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using KrautPortal.Benchmarks.Support;
using KrautPortal.Features;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Store;
using KrautPortal.Features.Usage;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KrautPortal.Benchmarks.Usage;

/// <summary>
/// (a) What one sampling pass costs the portal: process CPU time of the real <see cref="UsageSampler"/> (bulk call,
/// mapping to VMs, rows into SQLite) over many passes on a libvirt test driver whose node file defines 100 running
/// domains, each a Kraut VM. (b) Gathering the statistics: Kraut's bulk call against <c>virsh domstats</c> on the same
/// node file, both on one open connection (virsh runs every command in one process) and as one-shot processes.
/// </summary>
public static class UsageBenchmark
{
    private const int Domains = 100;

    public static async Task<string> RunAsync(int passes)
    {
        var loadAtStart = MachineInfo.LoadAverage();
        var directory = Directory.CreateTempSubdirectory("kraut-bench-usage-").FullName;
        try
        {
            var node = Path.Combine(directory, "node.xml");
            var ids = Enumerable.Range(0, Domains).Select(_ => Guid.NewGuid()).ToList();
            await File.WriteAllTextAsync(node, NodeXml(ids));
            var uri = "test://" + node;

            var sampling = await SamplingCostAsync(directory, uri, ids, passes);
            var gathering = await GatheringAgainstVirshAsync(uri, passes);
            return await ReportAsync(loadAtStart, passes, sampling, gathering);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private sealed record SamplingResult(double CpuMsPerPass, double WallMsP50, double WallMsP95, int RowsPerPass);

    private sealed record GatheringResult(Stats Kraut, Stats VirshOneConnection, Stats KrautOpenAndCall, Stats VirshProcess, int Domains, RealHost? Real);

    /// <summary>The same comparison on qemu:///system with whatever domains run there (real counters to parse).</summary>
    private sealed record RealHost(int Domains, int Running, Stats Kraut, Stats Virsh);

    private static async Task<SamplingResult> SamplingCostAsync(string directory, string uri, List<Guid> ids, int passes)
    {
        await using var services = Build(directory, uri);
        await services.MigrateKrautStoreAsync();
        await AddVmsAsync(services, ids);
        var sampler = services.GetRequiredService<UsageSampler>();
        await sampler.SampleOnceAsync(CancellationToken.None); // warm-up: the first pass also rolls up and prunes

        var walls = new List<double>();
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        for (var i = 0; i < passes; i++)
        {
            var clock = Stopwatch.StartNew();
            await sampler.SampleOnceAsync(CancellationToken.None);
            walls.Add(clock.Elapsed.TotalMilliseconds);
        }
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds;

        await using var scope = services.CreateAsyncScope();
        var rows = scope.ServiceProvider.GetRequiredService<KrautDbContext>().UsageSamples.Count();
        if (rows != (passes + 1) * Domains) throw new InvalidOperationException($"expected {(passes + 1) * Domains} samples, found {rows}");
        var wall = Stats.Of(walls);
        return new SamplingResult(cpu / passes, wall.P50, wall.P95, Domains);
    }

    private static async Task<GatheringResult> GatheringAgainstVirshAsync(string uri, int passes)
    {
        Tool.PackagedFile("/usr/bin/virsh", "libvirt-clients");
        using var connection = LibvirtConnection.Open(uri);
        var count = connection.GetAllDomainStats().Count;
        if (count != Domains) throw new InvalidOperationException($"the node file gave {count} domains, not {Domains}");

        var kraut = new List<double>();
        for (var i = 0; i < passes; i++)
        {
            var clock = Stopwatch.StartNew();
            var stats = connection.GetAllDomainStats();
            kraut.Add(clock.Elapsed.TotalMilliseconds);
            if (stats.Count != Domains) throw new InvalidOperationException("a pass lost domains");
        }

        // virsh on one connection: one process runs every domstats command; the time per call excludes the process's start.
        var empty = Time(() => Virsh(uri, "uri"));
        var all = Time(() => Virsh(uri, string.Join(" ; ", Enumerable.Repeat("domstats", passes))));
        var perCall = Math.Max(0, all - empty) / passes;

        var krautOneShot = new List<double>();
        var virshOneShot = new List<double>();
        for (var i = 0; i < Math.Min(passes, 20); i++)
        {
            krautOneShot.Add(Time(() =>
            {
                using var fresh = LibvirtConnection.Open(uri);
                _ = fresh.GetAllDomainStats();
            }));
            virshOneShot.Add(Time(() => Virsh(uri, "domstats")));
        }

        return new GatheringResult(Stats.Of(kraut), Stats.Of(Enumerable.Repeat(perCall, passes)), Stats.Of(krautOneShot), Stats.Of(virshOneShot), count,
            await OnSystemHostAsync(Math.Min(passes, 50)));
    }

    /// <summary>Null when qemu:///system cannot be reached; when nothing runs there, three guests of its own.</summary>
    private static async Task<RealHost?> OnSystemHostAsync(int calls)
    {
        const string uri = "qemu:///system";
        LibvirtConnection connection;
        try
        {
            connection = LibvirtConnection.Open(uri);
        }
        catch (LibvirtException)
        {
            return null;
        }

        using (connection)
        {
            await using var own = connection.GetAllDomainStats().Any(d => d.State == DomainState.Running) ? null : await RealGuests.StartAsync(connection, 3);
            var first = connection.GetAllDomainStats();
            var running = first.Count(d => d.State == DomainState.Running);
            // Rounds alternate who goes first: guests still booting under TCG make the host slower early on.
            var kraut = new List<double>();
            var virsh = new List<double>();
            var perRound = Math.Max(1, calls / 6);
            for (var round = 0; round < 6; round++)
            {
                void KrautBatch() => kraut.AddRange(Enumerable.Range(0, perRound).Select(_ => Time(() => connection.GetAllDomainStats())));
                void VirshBatch()
                {
                    var empty = Time(() => Virsh(uri, "uri"));
                    var all = Time(() => Virsh(uri, string.Join(" ; ", Enumerable.Repeat("domstats", perRound))));
                    virsh.Add(Math.Max(0, all - empty) / perRound);
                }

                if (round % 2 == 0)
                {
                    KrautBatch();
                    VirshBatch();
                }
                else
                {
                    VirshBatch();
                    KrautBatch();
                }
            }

            return new RealHost(first.Count, running, Stats.Of(kraut), Stats.Of(virsh));
        }
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalMilliseconds;
    }

    private static void Virsh(string uri, string commands)
    {
        var output = Tool.Run("virsh", "-q", "-c", uri, commands);
        if (commands.Contains("domstats", StringComparison.Ordinal) && !output.Contains("state.state", StringComparison.Ordinal))
            throw new InvalidOperationException("virsh domstats reported nothing");
    }

    private static ServiceProvider Build(string directory, string uri)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Database:Provider"] = "sqlite" }).Build();
        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(TimeProvider.System);
        services.AddKrautStore(config, directory);
        services.AddSingleton(new KrautPaths(directory));
        services.AddSingleton<AccelerationCache>();
        // The KVM probe of a remote host uses the instance's pool there.
        services.AddSingleton<KrautPortal.Features.Reconciling.KrautInstance>();
        services.AddSingleton<HostPool>();
        services.AddSingleton(Options.Create(new KrautOptions { Hosts = [uri] }));
        services.AddSingleton<HostRegistry>();
        services.AddSingleton(Options.Create(new UsageOptions()));
        services.AddSingleton<UsageSampler>();
        services.AddScoped<UsageQueries>();
        return services.BuildServiceProvider();
    }

    /// <summary>One VM record per domain (same id), as Kraut would have made them.</summary>
    private static async Task AddVmsAsync(ServiceProvider services, List<Guid> ids)
    {
        await using var scope = services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceStore>();
        var spec = KrautJson.Serialize(new VmSpec { ImageId = Guid.NewGuid(), MachineTypeId = Guid.NewGuid(), Vcpus = 2, MemoryMiB = 1024 });
        var status = KrautJson.Serialize(new VmStatus { Phase = VmPhase.Running });
        for (var i = 0; i < ids.Count; i++)
        {
            await store.CreateAsync(new NewResource(Kinds.Vms.Name, $"vm-{i}", $"user-{i % 10}", new JsonObject(), spec, status, Id: ids[i]),
                Actor.System, CancellationToken.None);
        }
    }

    private static string NodeXml(List<Guid> ids)
    {
        var xml = new StringBuilder("<node>\n");
        for (var i = 0; i < ids.Count; i++)
        {
            xml.Append(CultureInfo.InvariantCulture, $"""
                  <domain type='test'>
                    <name>bench-{i}</name><uuid>{ids[i]}</uuid>
                    <memory unit='MiB'>1024</memory><vcpu>2</vcpu>
                    <os><type arch='i686'>hvm</type></os>
                    <devices>
                      <disk type='file' device='disk'><source file='/var/tmp/bench-{i}.qcow2'/><target dev='vda' bus='virtio'/></disk>
                      <interface type='network'><source network='default'/><mac address='52:54:00:00:{i / 256:x2}:{i % 256:x2}'/></interface>
                    </devices>
                  </domain>

                """);
        }

        return xml.Append("</node>\n").ToString();
    }

    private static async Task<string> ReportAsync(string loadAtStart, int passes, SamplingResult sampling, GatheringResult g)
    {
        string F(double v) => Stats.Ms(v);
        var text = new StringBuilder()
            .AppendLine("## usage (sampling cost; statistics gathering vs virsh domstats)")
            .AppendLine()
            .Append(await MachineInfo.DescribeAsync(loadAtStart))
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"A libvirt test driver node file (`test:///…/node.xml`) defines {Domains} running domains, each a Kraut VM (2 vCPUs, 1 GiB);")
            .AppendLine("Kraut's binding and `virsh -c test:///…/node.xml domstats` read the same domains. libvirt 9.0's test driver reports only")
            .AppendLine("`state.*` for its domains, so these figures measure the call, the record walk, the mapping and the database, not the parsing of")
            .AppendLine("a real guest's ~40 counters (the real-guest test checks those are read).")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"**(a) One sampling pass** (`UsageSampler.SampleOnceAsync`: bulk call, VM look-up, {sampling.RowsPerPass} rows into SQLite), {passes} passes after one warm-up:")
            .AppendLine()
            .AppendLine("| measure | value |")
            .AppendLine("|---|---:|")
            .AppendLine(CultureInfo.InvariantCulture, $"| portal CPU time per pass per 100 VMs (ms, `Process.TotalProcessorTime`) | {F(sampling.CpuMsPerPass * 100 / Domains)} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| wall time per pass p50 / p95 (ms) | {F(sampling.WallMsP50)} / {F(sampling.WallMsP95)} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| share of one core at `Usage:IntervalSeconds` = 60 | {sampling.CpuMsPerPass / 600:0.0000} % |")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"**(b) Gathering {g.Domains} domains' statistics**, Kraut's `GetAllDomainStats` against `virsh domstats`:")
            .AppendLine()
            .AppendLine("| how | Kraut p50 (ms) | Kraut p95 (ms) | virsh p50 (ms) | virsh p95 (ms) | Kraut / virsh (p50) |")
            .AppendLine("|---|---:|---:|---:|---:|---:|")
            .AppendLine(CultureInfo.InvariantCulture, $"| on an open connection ({passes} calls; virsh: one process running {passes} `domstats`, minus an empty run, averaged) | {F(g.Kraut.P50)} | {F(g.Kraut.P95)} | {F(g.VirshOneConnection.P50)} | {F(g.VirshOneConnection.P95)} | {Stats.Ratio(g.Kraut.P50, g.VirshOneConnection.P50)} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| one-shot: open, gather, close (Kraut in process; virsh as a new process each time) | {F(g.KrautOpenAndCall.P50)} | {F(g.KrautOpenAndCall.P95)} | {F(g.VirshProcess.P50)} | {F(g.VirshProcess.P95)} | {Stats.Ratio(g.KrautOpenAndCall.P50, g.VirshProcess.P50)} |")
            .AppendLine();
        if (g.Real is { } real)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"On `qemu:///system` with the {real.Domains} domains defined there at the time ({real.Running} running: other work's guests, or three test guests of the benchmark's own; real counters: CPU, balloon, vCPUs, disks, NICs),")
                .AppendLine(CultureInfo.InvariantCulture, $"on an open connection, 6 rounds alternating who goes first: Kraut p50 {F(real.Kraut.P50)} ms (p95 {F(real.Kraut.P95)}) per call, `virsh domstats` p50 {F(real.Virsh.P50)} ms per call (each round's batch averaged as above): {Stats.Ratio(real.Kraut.P50, real.Virsh.P50)}.")
                .AppendLine();
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"**Ratio Kraut / virsh domstats on an open connection (p50): {Stats.Ratio(g.Kraut.P50, g.VirshOneConnection.P50)}**");
        return text.ToString();
    }
}
