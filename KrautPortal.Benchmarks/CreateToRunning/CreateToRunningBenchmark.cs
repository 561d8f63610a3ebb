using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using KrautPortal.Benchmarks.Support;

namespace KrautPortal.Benchmarks.CreateToRunning;

/// <summary>
/// create-to-running: a VM from the small real test guest through Kraut (the built portal as a child process),
/// against the same VM brought up by hand with qemu-img and virsh, alternating, in one run.
/// </summary>
public static class CreateToRunningBenchmark
{
    public static async Task<string> RunAsync(int iterations)
    {
        var loadAtStart = MachineInfo.LoadAverage();
        Console.WriteLine($"[create] the test guest (built if need be, cached by its inputs) is in {TestGuest.Directory}");

        var portal = BenchPortal.Create();
        await using var _ = portal;
        Console.WriteLine($"[create] starting the portal on {portal.BaseAddress} with data in {portal.DataDirectory}");
        await portal.StartAsync(TimeSpan.FromMinutes(2));
        using var client = portal.CreateClient();
        var imageId = await IdOfAsync(client, "images", "kraut-test-guest");
        var machineTypeId = await IdOfAsync(client, "machine-types", "small");
        var networkId = await IdOfAsync(client, "networks", "default");
        await WaitForNetworkAsync(client, networkId);

        var kraut = new KrautRunner(portal, client, imageId, machineTypeId, networkId);
        Console.WriteLine("[create] warm-up through Kraut (not counted)");
        string? template = null;
        var seed = Path.Combine(Path.GetTempPath(), $"kraut-bench-seed-{Guid.NewGuid():N}.iso");
        await kraut.RunOnceAsync(0, xml =>
        {
            template = xml;
            VirshBaseline.CopySeed(xml, seed);
        });
        var backing = Directory.GetFiles(Path.Combine(portal.DataDirectory, "images"), "*.qcow2").Single();

        var krautSamples = new List<CreateSample>();
        var baselineSamples = new List<CreateSample>();
        await using (var baseline = new VirshBaseline(template!, backing, seed))
        {
            await baseline.EnsureWatchingAsync();
            Console.WriteLine("[create] warm-up by hand (not counted)");
            await baseline.RunOnceAsync(0);
            for (var i = 1; i <= iterations; i++)
            {
                // Alternate who goes first, so a slow spell on the machine does not always hit the same side.
                if (i % 2 == 1)
                {
                    krautSamples.Add(await kraut.RunOnceAsync(i));
                    baselineSamples.Add(await baseline.RunOnceAsync(i));
                }
                else
                {
                    baselineSamples.Add(await baseline.RunOnceAsync(i));
                    krautSamples.Add(await kraut.RunOnceAsync(i));
                }
                Console.WriteLine($"[create] {i}/{iterations}: Kraut {Stats.Ms(krautSamples[^1].Total)} ms, by hand {Stats.Ms(baselineSamples[^1].Total)} ms to running");
            }
        }

        using (var deleted = await client.DeleteAsync($"api/v1/networks/{networkId}"))
        {
            deleted.EnsureSuccessStatusCode();
        }
        await KrautRunner.WaitUntilGoneAsync(client, $"api/v1/networks/{networkId}");
        var leftovers = portal.StopAndRemoveLeftovers();

        var acceleration = kraut.DomainType switch
        {
            "qemu" => "TCG (libvirt domain type `qemu`; Kraut's probe found KVM unusable on this host)",
            "kvm" => "KVM",
            var other => other ?? "unknown",
        };
        var report = Report(iterations, krautSamples, baselineSamples, leftovers);
        Console.WriteLine();
        Console.WriteLine(report);
        return "## create-to-running\n\n" + await MachineInfo.DescribeAsync(loadAtStart, acceleration) + "\n" + report;
    }

    private static string Report(int iterations, List<CreateSample> kraut, List<CreateSample> baseline, List<string> leftovers)
    {
        var table = new MarkdownTable("phase (ms)", "Kraut p50", "Kraut p95", "by hand p50", "by hand p95", "Kraut / by hand (p50)");
        void Row(string name, Func<CreateSample, double?> pick, bool bold = false)
        {
            var k = Stats.Of(kraut.Select(pick).OfType<double>());
            var b = Stats.Of(baseline.Select(pick).OfType<double>());
            var label = bold ? $"**{name}**" : name;
            table.Add(label, Stats.Ms(k.P50), Stats.Ms(k.P95), Stats.Ms(b.P50), Stats.Ms(b.P95), Stats.Ratio(k.P50, b.P50));
        }
        Row("request → overlay begins (API, queue, plan with placement)", s => s.BeforeOverlay);
        Row("of which: plan (image, machine type, networks, host)", s => s.Plan);
        Row("build: networks, filters, seed ISO (beside the overlay)", s => s.Build);
        Row("overlay (`qemu-img create -b`)", s => s.Overlay);
        Row("request → define begins", s => s.BeforeDefine);
        Row("define (`virDomainDefineXML` / `virsh define`)", s => s.Define);
        Row("start (`virDomainCreate` / `virsh start`)", s => s.Start);
        Row("first lifecycle event, after start returned", s => s.FirstEventAfterStart);
        Row("start called → first lifecycle event seen", s => s.StartToFirstEvent);
        Row("total: create → running", s => s.Total, bold: true);
        Row("extra: create → KRAUT-GUEST-READY on the serial console", s => s.GuestReady);

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{iterations} measured iterations per side after one warm-up each, Kraut and by hand alternating (odd iterations Kraut first).");
        text.AppendLine("p95 is nearest-rank: with this few iterations it is the slowest one.");
        text.AppendLine();
        text.Append(table);
        text.AppendLine();
        var totalRatio = Stats.Ratio(Stats.Of(kraut.Select(s => s.Total)).P50, Stats.Of(baseline.Select(s => s.Total)).P50);
        text.AppendLine(CultureInfo.InvariantCulture, $"**Ratio Kraut / by hand, create → running (median): {totalRatio}**");
        text.AppendLine();
        text.AppendLine("Per iteration, create → running (ms):");
        text.AppendLine();
        var raw = new MarkdownTable("iteration", "Kraut", "by hand", "Kraut guest ready", "by hand guest ready");
        for (var i = 0; i < kraut.Count; i++)
            raw.Add((i + 1).ToString(CultureInfo.InvariantCulture), Stats.Ms(kraut[i].Total), Stats.Ms(baseline[i].Total),
                Stats.Ms(kraut[i].GuestReady ?? double.NaN), Stats.Ms(baseline[i].GuestReady ?? double.NaN));
        text.Append(raw);
        text.AppendLine();
        text.AppendLine("How each side is timed:");
        text.AppendLine("- Kraut: the client's clock from `POST /api/v1/vms` until `GET /api/v1/vms/{id}` (polled every 10 ms) shows `status.phase == \"running\"`. " +
            "Phases come from the portal's `Kraut.Vms` spans, written by the opt-in `Kraut:Telemetry:TraceFile`. " +
            "The VM has one NIC on the seeded default network, machine type `small` (1 vCPU, 512 MiB).");
        text.AppendLine("- By hand: `qemu-img create -f qcow2 -F qcow2 -b <same image>`, `virsh define` of Kraut's own domain XML " +
            "(`virsh dumpxml --inactive`, with name, uuid, MAC, disk and console paths changed and Kraut's metadata removed; its cloud-init seed CD " +
            "is a copy of the warm-up VM's, made before any clock runs, while Kraut's time includes writing each VM's seed with xorriso), `virsh start`, " +
            "then `virsh domstate` until `running`; each step is a `virsh` process, as a person would run it. The first lifecycle event " +
            "comes from one long-running `virsh event --loop --event lifecycle`. `virsh start` returns only after libvirt has emitted " +
            "`Started`, so the by-hand \"after start returned\" figure is negative; Kraut's is about 0 when the event had already arrived " +
            "while `virDomainCreate` was returning (the span is then closed at once).");
        text.AppendLine("- Guest ready: the test guest prints `KRAUT-GUEST-READY` on its serial console file after its first DHCP lease; polled every 20 ms.");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Clean-up: every Kraut VM was deleted through the API and checked gone in libvirt and on disk; the default network " +
            $"was deleted through the API; every by-hand domain was destroyed, undefined and checked gone, its files removed. " +
            $"Left over after the API deletes: {(leftovers.Count == 0 ? "nothing" : string.Join(", ", leftovers) + " (removed)")}.");
        return text.ToString();
    }

    private static async Task<Guid> IdOfAsync(HttpClient client, string kind, string name)
    {
        var list = await client.GetFromJsonAsync<JsonElement>($"api/v1/{kind}?limit=500");
        foreach (var item in list.GetProperty("items").EnumerateArray())
        {
            if (item.GetProperty("name").GetString() == name) return item.GetProperty("id").GetGuid();
        }
        throw new InvalidOperationException($"the portal has no {kind} named {name}");
    }

    private static async Task WaitForNetworkAsync(HttpClient client, Guid networkId)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var network = await client.GetFromJsonAsync<JsonElement>($"api/v1/networks/{networkId}");
            var phase = network.GetProperty("status").GetProperty("phase").GetString();
            if (phase == "active") return;
            if (phase == "failed") throw new InvalidOperationException($"the default network failed: {network}");
            await Task.Delay(100);
        }
        throw new TimeoutException("the default network did not become active within a minute");
    }
}
