using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using KrautPortal.Benchmarks.CreateToRunning;
using KrautPortal.Benchmarks.Support;
using KrautPortal.Features.Vms;

namespace KrautPortal.Benchmarks.Consoles;

/// <summary>
/// The serial console of one real guest (the built portal as a child process, qemu:///system): keystroke → echo and the
/// throughput of a large output burst through Kraut's WebSocket, against <c>virsh console</c> on the same guest, the two
/// taking turns (libvirt gives a domain's console to one client at a time). One run, both sides.
/// </summary>
public static class ConsoleBenchmark
{
    private static readonly TimeSpan Boot = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan BurstTimeout = TimeSpan.FromMinutes(2);

    public sealed record Options(int Rounds, int KeysPerRound, int BurstLines);

    private sealed class Side(string name)
    {
        public string Name { get; } = name;
        public List<double> Keystrokes { get; } = [];
        public List<BurstSample> Bursts { get; } = [];
        public List<double> Opens { get; } = [];
        public List<string> Stalls { get; } = [];
    }

    public static async Task<string> RunAsync(Options options)
    {
        var loadAtStart = MachineInfo.LoadAverage();
        Console.WriteLine($"[console] the test guest (built if need be, cached by its inputs) is in {TestGuest.Directory}");
        var portal = BenchPortal.Create();
        await using var _ = portal;
        Console.WriteLine($"[console] starting the portal on {portal.BaseAddress} with data in {portal.DataDirectory}");
        await portal.StartAsync(TimeSpan.FromMinutes(2));
        using var client = portal.CreateClient();
        var networkId = await IdOfAsync(client, "networks", "default");
        var (vmId, domainType) = await CreateGuestAsync(portal, client, networkId);

        try
        {
            return await MeasureAsync(options, portal, client, vmId, domainType, networkId, loadAtStart);
        }
        catch
        {
            var log = portal.Log;
            Console.Error.WriteLine("[console] the portal's log, last 4000 characters:\n" + log[Math.Max(0, log.Length - 4000)..]);
            throw;
        }
    }

    private static async Task<string> MeasureAsync(Options options, PortalProcess portal, HttpClient client, Guid vmId, string? domainType,
        Guid networkId, string loadAtStart)
    {
        var domain = VmBuilder.DomainName(vmId);
        var kraut = new Side("Kraut");
        var virsh = new Side("virsh console");
        var stream = new Side("libvirt stream");
        (Side Side, Func<Task<IConsoleLink>> Open)[] sides =
        [
            (kraut, () => Open(() => KrautConsoleLink.OpenAsync(client, vmId))),
            (virsh, () => Open(() => VirshConsoleLink.OpenAsync(domain))),
            (stream, () => Task.FromResult(LibvirtStreamLink.Open(vmId))),
        ];
        Console.WriteLine("[console] warm-up round (not counted)");
        var consoleLog = portal.ConsoleFor(vmId);
        foreach (var (side, open) in sides)
        {
            var warmUp = new Side($"warm-up ({side.Name})");
            await RoundAsync(open, warmUp, options, consoleLog);
            side.Stalls.AddRange(warmUp.Stalls);
        }
        for (var round = 1; round <= options.Rounds; round++)
        {
            // Each round another side goes first, so a slow spell on the machine does not always hit the same one.
            for (var turn = 0; turn < sides.Length; turn++)
            {
                var (side, open) = sides[(round - 1 + turn) % sides.Length];
                await RoundAsync(open, side, options, consoleLog);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[console] {round}/{options.Rounds}: echo p50 so far Kraut {Stats.Ms(Stats.Of(kraut.Keystrokes).P50)} ms, virsh {Stats.Ms(Stats.Of(virsh.Keystrokes).P50)} ms, " +
                $"stream {Stats.Ms(Stats.Of(stream.Keystrokes).P50)} ms"));
        }

        using (var deleted = await client.DeleteAsync($"api/v1/vms/{vmId}"))
        {
            if (deleted.StatusCode is not (HttpStatusCode.Accepted or HttpStatusCode.NoContent))
                throw new InvalidOperationException($"DELETE /api/v1/vms/{vmId}: {(int)deleted.StatusCode}");
        }
        await KrautRunner.WaitUntilGoneAsync(client, $"api/v1/vms/{vmId}");
        using (var deleted = await client.DeleteAsync($"api/v1/networks/{networkId}"))
        {
            deleted.EnsureSuccessStatusCode();
        }
        await KrautRunner.WaitUntilGoneAsync(client, $"api/v1/networks/{networkId}");
        var leftovers = portal.StopAndRemoveLeftovers();

        var report = Report(options, kraut, virsh, stream, leftovers);
        Console.WriteLine();
        Console.WriteLine(report);
        var acceleration = domainType == "qemu" ? "TCG (libvirt domain type `qemu`; Kraut's probe found KVM unusable on this host)" : domainType ?? "unknown";
        return "## serial console\n\n" + await MachineInfo.DescribeAsync(loadAtStart, acceleration) + "\n" + report;
    }

    /// <summary>
    /// The <c>virsh console</c> side and the libvirt stream, without a portal, against a domain that already exists (to try
    /// the baseline by hand); prints, writes nothing.
    /// </summary>
    public static async Task RunWithoutPortalAsync(string domain, Options options)
    {
        var uuid = Guid.Parse(await Tool.RunAsync("virsh", "-c", TestHosts.System, "domuuid", domain));
        var virsh = new Side("virsh console");
        var stream = new Side("libvirt stream");
        for (var round = 1; round <= options.Rounds; round++)
        {
            await RoundAsync(() => Open(() => VirshConsoleLink.OpenAsync(domain)), virsh, options);
            await RoundAsync(() => Task.FromResult(LibvirtStreamLink.Open(uuid)), stream, options);
        }
        foreach (var side in new[] { virsh, stream })
        {
            var echo = Stats.Of(side.Keystrokes);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[console] {side.Name} on {domain}: echo p50 {Stats.Ms(echo.P50)} ms, p95 {Stats.Ms(echo.P95)} ms, max {Stats.Ms(echo.Max)} ms; " +
                $"burst p50 {Median(side) / 1024:0} KiB/s"));
        }
    }

    private static async Task<IConsoleLink> Open<T>(Func<Task<T>> open) where T : IConsoleLink => await open();

    private static async Task RoundAsync(Func<Task<IConsoleLink>> open, Side side, Options options, string? consoleLog = null)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var link = await open();
        await using (link)
        {
            var synced = await ConsoleTiming.SyncAsync(link, TimeSpan.FromSeconds(60));
            side.Opens.Add(System.Diagnostics.Stopwatch.GetElapsedTime(start, synced).TotalMilliseconds);
            side.Keystrokes.AddRange(await ConsoleTiming.KeystrokesAsync(link, options.KeysPerRound));
            try
            {
                if (options.BurstLines > 0) side.Bursts.Add(await ConsoleTiming.BurstAsync(link, options.BurstLines, BurstTimeout));
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException && consoleLog is not null)
            {
                // Did the guest print the end at all? virtlogd writes the log whether or not a console reader keeps up.
                // A stalled burst is a result, not the end of the run: it is counted and reported, and the next round goes on.
                var log = GuestConsole.Read(consoleLog);
                var stall = $"{side.Name}, burst after {side.Bursts.Count} good ones: " + e.Message[..Math.Min(e.Message.Length, 300)] +
                    $" The console log ({log.Length} characters) " +
                    (log.Contains("KRAUTDONE", StringComparison.Ordinal) ? "has KRAUTDONE: the guest printed it, the console did not deliver it." : "has no KRAUTDONE either: the guest did not print it.");
                Console.WriteLine("[console] STALLED: " + stall);
                side.Stalls.Add(stall);
            }
        }
        var echo = Stats.Of(side.Keystrokes.TakeLast(options.KeysPerRound));
        var burst = side.Bursts.Count > 0 ? $"; burst {side.Bursts[^1].Bytes} B in {Stats.Ms(side.Bursts[^1].Ms)} ms" : "";
        Console.WriteLine($"[console] {side.Name}: echo p50 {Stats.Ms(echo.P50)} ms, max {Stats.Ms(echo.Max)} ms{burst}");
    }

    private static async Task<(Guid Id, string? DomainType)> CreateGuestAsync(PortalProcess portal, HttpClient client, Guid network)
    {
        var body = new
        {
            name = "bench-console-" + Guid.NewGuid().ToString("N")[..6],
            metadata = new { bench = "console" },
            spec = new
            {
                imageId = await IdOfAsync(client, "images", "kraut-test-guest"),
                machineTypeId = await IdOfAsync(client, "machine-types", "small"),
                nics = new[] { new { networkId = network } },
            },
        };
        using var created = await client.PostAsJsonAsync("api/v1/vms", body);
        if (created.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"POST /api/v1/vms: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Console.WriteLine($"[console] VM {id} booting; waiting for {TestGuest.ReadyMarker} on its console log");
        await GuestConsole.WaitForReadyAsync(portal.ConsoleFor(id), Boot);
        var status = (await client.GetFromJsonAsync<JsonElement>($"api/v1/vms/{id}")).GetProperty("status");
        return (id, status.TryGetProperty("domainType", out var type) ? type.GetString() : null);
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

    private static string Report(Options options, Side kraut, Side virsh, Side stream, List<string> leftovers)
    {
        var text = new StringBuilder();
        var (k, v, l) = (Stats.Of(kraut.Keystrokes), Stats.Of(virsh.Keystrokes), Stats.Of(stream.Keystrokes));
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{options.Rounds} rounds per side after one warm-up round each, the sides taking turns and a different one going first each round; " +
            $"a round opens the console, types {options.KeysPerRound} keys and runs one burst, then closes it.");
        text.AppendLine("\"libvirt stream\" is a reference, not a baseline: the console stream Kraut relays, read in the benchmark's own process.");
        text.AppendLine();
        var echo = new MarkdownTable("keystroke → echo (ms)", "keys", "p50", "p95", "max");
        echo.Add("Kraut (WebSocket)", k.Count.ToString(CultureInfo.InvariantCulture), Stats.Ms(k.P50), Stats.Ms(k.P95), Stats.Ms(k.Max));
        echo.Add("`virsh console` (pty)", v.Count.ToString(CultureInfo.InvariantCulture), Stats.Ms(v.P50), Stats.Ms(v.P95), Stats.Ms(v.Max));
        echo.Add("libvirt stream, in process (reference)", l.Count.ToString(CultureInfo.InvariantCulture), Stats.Ms(l.P50), Stats.Ms(l.P95), Stats.Ms(l.Max));
        echo.Add("**Kraut / virsh**", "", Stats.Ratio(k.P50, v.P50), Stats.Ratio(k.P95, v.P95), Stats.Ratio(k.Max, v.Max));
        text.Append(echo);
        text.AppendLine();

        var burst = new MarkdownTable($"burst `seq 1 {options.BurstLines}`", "bursts", "bytes each", "KiB/s p50", "KiB/s min", "KiB/s max");
        void BurstRow(string name, Side side)
        {
            var rates = side.Bursts.Select(b => b.BytesPerSecond / 1024).ToList();
            burst.Add(name, rates.Count.ToString(CultureInfo.InvariantCulture),
                side.Bursts.Count == 0 ? "–" : side.Bursts.Max(b => b.Bytes).ToString(CultureInfo.InvariantCulture),
                Rate(Stats.Of(rates).P50), Rate(rates.DefaultIfEmpty(double.NaN).Min()), Rate(rates.DefaultIfEmpty(double.NaN).Max()));
        }
        BurstRow("Kraut (WebSocket)", kraut);
        BurstRow("`virsh console` (pty)", virsh);
        BurstRow("libvirt stream, in process (reference)", stream);
        text.Append(burst);
        text.AppendLine();
        var (kb, vb, lb) = (Median(kraut), Median(virsh), Median(stream));
        text.AppendLine(CultureInfo.InvariantCulture,
            $"**Ratios Kraut / virsh: echo p50 {Stats.Ratio(k.P50, v.P50)}, p95 {Stats.Ratio(k.P95, v.P95)}; burst bytes/s (median) {Stats.Ratio(kb, vb)}**");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Kraut / libvirt stream in process: echo p50 {Stats.Ratio(k.P50, l.P50)}, burst bytes/s {Stats.Ratio(kb, lb)} (what the portal and the WebSocket add).");
        text.AppendLine();
        var (ko, vo, lo) = (Stats.Of(kraut.Opens), Stats.Of(virsh.Opens), Stats.Of(stream.Opens));
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Extra: open → first command answered (ticket + WebSocket, starting virsh, or opening the stream; then a marker echoed), p50: " +
            $"Kraut {Stats.Ms(ko.P50)} ms, virsh {Stats.Ms(vo.P50)} ms, libvirt stream {Stats.Ms(lo.P50)} ms.");
        text.AppendLine();
        var stalls = kraut.Stalls.Concat(virsh.Stalls).Concat(stream.Stalls).ToList();
        text.AppendLine(stalls.Count == 0
            ? "Every burst completed on every side."
            : $"**Bursts that did not complete** (no marker within {BurstTimeout.TotalMinutes:0} min, or the console closed; not in the table above):");
        foreach (var stall in stalls) text.AppendLine("- " + stall.ReplaceLineEndings(" "));
        text.AppendLine();
        text.AppendLine("How each side is timed:");
        text.AppendLine("- The guest: the test guest (`scripts/build-guest-image.sh`, a root shell on ttyS0) as a Kraut VM (machine type `small`, " +
            "one NIC on the default network) of the built portal (Production) on qemu:///system; its serial port is a pty that libvirt's console stream serves.");
        text.AppendLine("- Kraut: a ticket from `POST /api/v1/vms/{id}/console` (`{\"type\":\"serial\"}`), then a .NET `ClientWebSocket` with the " +
            "subprotocols `kraut.console` and `kraut.ticket.<ticket>`; keys go out as binary frames, output comes back as binary frames.");
        text.AppendLine("- `virsh console`: `virsh -c qemu:///system console <domain> --force` with a pseudo-terminal of the benchmark's own " +
            "(posix_openpt) as its controlling terminal, as in a terminal window; keys are written to the pty master, output read from it. Left with Ctrl-].");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"- Keystroke → echo: one key at a time on a shell comment line (`#` then lower-case letters; the prompt is set to `KP> `, which has none), " +
            $"from writing the key to the arrival of the read that brought that letter back (the arrival time is taken by the reader, so neither side " +
            $"pays for waking the waiter); {ConsoleTiming.TypingPause.TotalMilliseconds:0} ms between keys, as a typist pauses.");
        text.AppendLine("- Burst: the command `seq 1 N; echo KRAUT''DONE` is typed, then the clock runs from writing Enter to the arrival of " +
            "`KRAUTDONE`; every byte in between is counted (the numbers with the guest's CR LF, the echoed Enter) and checked to contain every line.");
        text.AppendLine("- Both sides use one guest, one at a time: libvirt serves a domain's console to one client, so each side closes its console " +
            "before the next opens it. Every VM runs under TCG here: the guest's UART emulation is likely what limits the burst on both sides.");
        text.AppendLine("- Clean-up: the VM and the portal's leftovers were removed; left over after the API delete: " +
            (leftovers.Count == 0 ? "nothing." : string.Join(", ", leftovers) + "."));
        return text.ToString();
    }

    private static double Median(Side side) => Stats.Of(side.Bursts.Select(b => b.BytesPerSecond)).P50;

    private static string Rate(double value) => double.IsNaN(value) ? "–" : value.ToString("0", CultureInfo.InvariantCulture);
}
