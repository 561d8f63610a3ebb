using System.Globalization;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautPortal.Benchmarks.Support;

namespace KrautPortal.Benchmarks.RouterRules;

/// <summary>
/// A real router VM (the built portal as a child process, qemu:///system): how long a rule change takes from the
/// request to the first packet that obeys it, through Kraut against <c>nft -f</c> by hand on the router; and TCP
/// throughput between two guests through the router against the same two guests on one bridge. One run, both sides.
/// </summary>
public static class RouterRulesBenchmark
{
    private const int WebPort = 8080;
    private const int TransferMiB = 32;

    public static async Task<string> RunAsync(int iterations)
    {
        var loadAtStart = MachineInfo.LoadAverage();
        var lab = new RouterLab(BenchPortal.Create());
        await using var _ = lab;
        Console.WriteLine($"[router] building the lab: portal, two networks, a router, the internet namespace ({lab.Portal.DataDirectory})");
        await lab.BuildAsync(FreePrefix);
        var webIp = $"{lab.InnerPrefix}.10";
        var web = await lab.CreateGuestAsync("bench-web", webIp, $"""
            #!/bin/sh
            mkdir -p /www{WebPort}; echo "kraut-port {WebPort} ok" >/www{WebPort}/index.html; httpd -p {WebPort} -h /www{WebPort}
            echo KRAUT-TEST-PORTS=up
            """);
        await lab.WaitForConsoleAsync(web, "KRAUT-TEST-PORTS=up", RouterLab.Boot);

        var transfers = await ThroughputAsync(lab, iterations);
        var (kraut, byHand) = await RuleChangesAsync(lab, webIp, iterations);

        var report = Report(iterations, kraut, byHand, transfers);
        Console.WriteLine();
        Console.WriteLine(report);
        return "## router rules and throughput\n\n" + await MachineInfo.DescribeAsync(loadAtStart, "TCG wherever KVM does not work (all three VMs)") + "\n" + report;
    }

    private static async Task<IReadOnlyList<TransferSample>> ThroughputAsync(RouterLab lab, int rounds)
    {
        var (sinkInner, sinkUpstream) = ($"{lab.InnerPrefix}.50", $"{lab.UpstreamPrefix}.50");
        var sink = await CreateVmAsync(lab, "bench-sink", [(lab.UpstreamNetworkId, sinkUpstream), (lab.InnerNetworkId, sinkInner)],
            TcpThroughput.SinkUserData(TcpThroughput.SinkPort));
        await lab.WaitForConsoleAsync(sink, "KRAUT-BENCH-SINK=up", RouterLab.Boot);
        var sender = await lab.CreateGuestAsync("bench-sender", $"{lab.InnerPrefix}.12",
            TcpThroughput.SenderUserData(sinkInner, sinkUpstream, TcpThroughput.SinkPort, rounds + 1, TransferMiB));
        Console.WriteLine($"[router] TCP: {rounds + 1} rounds (the first a warm-up) of {TransferMiB} MiB, bridge then router");
        await lab.WaitForConsoleAsync(sender, "KRAUT-BENCH-TCP-DONE", TimeSpan.FromMinutes(30));
        var samples = TcpThroughput.Parse(GuestConsole.Read(lab.Portal.ConsoleFor(sender))).Where(s => s.Round > 1).ToList();
        foreach (var s in samples) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[router] TCP {s.Path} round {s.Round - 1}: {s.MiBPerSecond:0.0} MiB/s"));
        // Two fewer TCG guests for the timing that follows.
        foreach (var id in new[] { sender, sink })
        {
            using var deleted = await lab.Http.DeleteAsync($"/api/v1/vms/{id}");
            deleted.EnsureSuccessStatusCode();
        }
        return samples;
    }

    private static async Task<(List<RuleChangeSample> Kraut, List<RuleChangeSample> ByHand)> RuleChangesAsync(RouterLab lab, string webIp, int iterations)
    {
        var timing = new RuleChangeTiming(lab, webIp, WebPort);
        await lab.ApplyAsync(timing.Rules(open: false));

        // The by-hand path: geek mode for the owner's key, one SSH shell kept open, the two rulesets Kraut renders for
        // the two states uploaded before any clock runs.
        var keys = Directory.CreateTempSubdirectory("kraut-bench-keys-").FullName;
        var key = RouterSsh.NewKey(keys, "owner");
        await RouterSsh.AddToProfileAsync(lab.Http, key);
        await lab.SetGeekModeAsync(true, $"{lab.Client1}/32");
        await Eventually.WaitUntilAsync(async () => (await RouterSsh.RunAsync(lab.Internet, key, lab.Client1, lab.RouterUpstream, "echo " + RouterSsh.Marker)).Ok,
            RouterLab.Apply, "SSH into the router in geek mode");
        using var shell = RouterSsh.OpenShell(lab.Internet, key, lab.Client1, lab.RouterUpstream);
        foreach (var open in new[] { true, false })
        {
            var text = await RulesetForAsync(lab, timing.Rules(open));
            await shell.StandardInput.WriteAsync($"cat >{FileFor(open)} <<'KRAUT_EOF'\n{text}KRAUT_EOF\necho KRAUT-UPLOADED\n");
            await shell.StandardInput.FlushAsync();
            var line = await shell.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            if (line != "KRAUT-UPLOADED") throw new InvalidOperationException($"uploading the ruleset failed: {line}");
        }

        var kraut = new List<RuleChangeSample>();
        var byHand = new List<RuleChangeSample>();
        var state = false;
        async Task KrautOnce(bool counted)
        {
            state = !state;
            var sample = await timing.ThroughKrautAsync(state);
            if (counted) kraut.Add(sample);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[router] Kraut {(state ? "opens" : "closes")}: obeyed after {sample.ToObeyedMs:0} ms, status applied after {sample.ToAppliedStatusMs:0} ms"));
        }
        async Task ByHandOnce(int i, bool counted)
        {
            state = !state;
            var sample = await timing.ByHandAsync(shell, FileFor(state), state, i);
            if (counted) byHand.Add(sample);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[router] by hand {(state ? "opens" : "closes")}: obeyed after {sample.ToObeyedMs:0} ms"));
            // Kraut is told what the router now runs, so its next change is a change (untimed).
            await lab.ApplyAsync(timing.Rules(state));
        }

        Console.WriteLine("[router] warm-up (not counted)");
        await KrautOnce(counted: false);
        await ByHandOnce(0, counted: false);
        // Every round changes the rule twice on each side, so both opening and closing are timed equally often.
        for (var i = 1; i <= iterations * 2; i++)
        {
            if (i % 2 == 1)
            {
                await KrautOnce(counted: true);
                await ByHandOnce(i, counted: true);
            }
            else
            {
                await ByHandOnce(i, counted: true);
                await KrautOnce(counted: true);
            }
        }
        await shell.StandardInput.WriteLineAsync("exit");
        await shell.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Directory.Delete(keys, recursive: true);
        return (kraut, byHand);
    }

    private static string FileFor(bool open) => open ? "/tmp/kraut-bench-open.nft" : "/tmp/kraut-bench-closed.nft";

    /// <summary>The exact text Kraut would load for these rules (the preview of a draft).</summary>
    private static async Task<string> RulesetForAsync(RouterLab lab, IReadOnlyList<JsonObject> rules)
    {
        var draft = new JsonObject { ["spec"] = FirewallJson.Spec(lab.InnerNetworkId, rules) };
        var preview = await lab.SendAsync(HttpMethod.Post, $"firewalls/{lab.FirewallId}/preview", draft);
        return preview.GetProperty("networks").EnumerateArray().Single(n => n.GetProperty("networkId").GetGuid() == lab.InnerNetworkId)
            .GetProperty("ruleset").GetString()!;
    }

    private static async Task<Guid> CreateVmAsync(RouterLab lab, string name, IReadOnlyList<(Guid Network, string Ip)> nics, string userData)
    {
        var spec = new JsonObject
        {
            ["imageId"] = (await lab.IdOfAsync("images", "kraut-test-guest")).ToString(),
            ["machineTypeId"] = (await lab.IdOfAsync("machine-types", "small")).ToString(),
            ["memoryMiB"] = 256,
            ["nics"] = new JsonArray(nics.Select(n => (JsonNode)new JsonObject { ["networkId"] = n.Network.ToString(), ["ipv4Address"] = n.Ip }).ToArray()),
            ["userData"] = userData.ReplaceLineEndings("\n") + "\n",
        };
        return await lab.CreateAsync("vms", new JsonObject { ["name"] = name, ["metadata"] = new JsonObject(), ["spec"] = spec });
    }

    private static string Report(int iterations, List<RuleChangeSample> kraut, List<RuleChangeSample> byHand, IReadOnlyList<TransferSample> transfers)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Rule change → first packet that obeys it: {kraut.Count} changes per side after one warm-up each, Kraut and by hand alternating which goes first.");
        text.AppendLine();
        var table = new MarkdownTable("rule change (ms)", "Kraut p50", "Kraut p95", "by hand p50", "by hand p95", "Kraut / by hand (p50)");
        void Row(string name, Func<RuleChangeSample, bool> which)
        {
            var k = Stats.Of(kraut.Where(which).Select(s => s.ToObeyedMs));
            var b = Stats.Of(byHand.Where(which).Select(s => s.ToObeyedMs));
            table.Add(name, Stats.Ms(k.P50), Stats.Ms(k.P95), Stats.Ms(b.P50), Stats.Ms(b.P95), Stats.Ratio(k.P50, b.P50));
        }
        Row("opens a port", s => s.Opens);
        Row("closes a port", s => !s.Opens);
        Row("**all changes**", _ => true);
        text.Append(table);
        var applied = Stats.Of(kraut.Select(s => s.ToAppliedStatusMs).OfType<double>());
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Extra: Kraut's request → the router's status shows the new version applied: p50 {Stats.Ms(applied.P50)} ms, p95 {Stats.Ms(applied.P95)} ms (status polled every 200 ms).");
        text.AppendLine();

        var bridge = transfers.Where(t => t.Path == "bridge").Select(t => t.MiBPerSecond).ToList();
        var routed = transfers.Where(t => t.Path == "router").Select(t => t.MiBPerSecond).ToList();
        var tcp = new MarkdownTable("TCP, one stream", "transfers", "MiB/s p50", "MiB/s min", "MiB/s max");
        tcp.Add("same two guests on one bridge", bridge.Count.ToString(CultureInfo.InvariantCulture), Rate(Stats.Of(bridge).P50), Rate(bridge.DefaultIfEmpty(double.NaN).Min()), Rate(bridge.DefaultIfEmpty(double.NaN).Max()));
        tcp.Add("through the router (forwarded, NATed)", routed.Count.ToString(CultureInfo.InvariantCulture), Rate(Stats.Of(routed).P50), Rate(routed.DefaultIfEmpty(double.NaN).Min()), Rate(routed.DefaultIfEmpty(double.NaN).Max()));
        text.AppendLine(CultureInfo.InvariantCulture, $"TCP throughput between two guests, {TransferMiB} MiB per transfer, {iterations} rounds after a warm-up round, the paths alternating:");
        text.AppendLine();
        text.Append(tcp);
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"**Ratio through the router / one bridge (median MiB/s): {Stats.Ratio(Stats.Of(routed).P50, Stats.Of(bridge).P50)}**");
        text.AppendLine();
        text.AppendLine("How each side is timed:");
        text.AppendLine("- The lab: the built portal (Production) on qemu:///system with an inner and an upstream network, a router between them " +
            "(the appliance from `scripts/build-guest-image.sh --router`), a firewall on the inner network (inbound deny by default), and \"the internet\": " +
            "a network namespace on the upstream network's bridge that routes the inner subnet via the router's upstream address.");
        text.AppendLine("- The change: one inbound rule allowing TCP " + WebPort.ToString(CultureInfo.InvariantCulture)
            + " to a test guest, enabled or disabled. Probes: new connections from the namespace " +
            "(`curl`, 0.5 s connect timeout) one after another; the time is the start of the first attempt that got the new answer (its SYN obeyed the change).");
        text.AppendLine("- Kraut: from sending `PUT /api/v1/firewalls/{id}` (render, reconcile, agent over virtio-serial, `nft -c` then `nft -f`).");
        text.AppendLine("- By hand: from writing `nft -f <file>` into an SSH shell on the router (geek mode, already logged in); the file is the " +
            "exact text Kraut renders for that state (the preview of a draft), uploaded before timing. After each by-hand change Kraut is set to the same " +
            "state, untimed, so that its next change is a real change.");
        text.AppendLine("- TCP: a sink guest with a leg on each network (`nc -ll` into `cat >/dev/null`) and a sender on the inner network " +
            "(`dd bs=1M | nc`), timed by the sender's /proc/uptime (10 ms); to the sink's inner address the bytes cross one bridge, to its upstream " +
            "address they go through the router. Every VM runs under TCG here, the router included, so the numbers are about the ratio, not the speed.");
        return text.ToString();
    }

    private static string Rate(double value) => double.IsNaN(value) ? "–" : value.ToString("0.0", CultureInfo.InvariantCulture);

    private static string FreePrefix()
    {
        var used = NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Where(a => a.Address.AddressFamily == AddressFamily.InterNetwork)
            .Select(a => string.Join(".", a.Address.ToString().Split('.').Take(3))).ToHashSet();
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var prefix = $"10.{Random.Shared.Next(241, 250)}.{Random.Shared.Next(0, 256)}";
            if (!used.Contains(prefix)) return prefix;
        }
        throw new InvalidOperationException("no free /24 in 10.241-249.x.0");
    }
}
