using System.Diagnostics;
using System.Globalization;
using System.Text;
using KrautPortal.Benchmarks.ListAndFilter;
using KrautPortal.Benchmarks.Support;
using KrautPortal.TestSupport;

namespace KrautPortal.Benchmarks.Cli;

/// <summary>
/// cli-list: <c>kraut vm list</c> of every VM (10,000 by default, 20 pages of 500) from a real portal, against the
/// script people write today for the same thing: curl fetching the same pages with the same continue tokens and jq
/// picking the same fields. Two outputs: the names (<c>-o name</c>) and the table (<c>--no-headers</c>; by hand jq's
/// @tsv through <c>column -t</c>). Both sides must print the same rows.
/// </summary>
public static class CliListBenchmark
{
    private const string Fields = "[.name, .status.phase, .spec.power, .spec.vcpus, .spec.memoryMiB, .status.host]";

    // Pages as `kraut` reads them (500, the API's largest); the token goes back URL-encoded, as the CLI sends it.
    private const string Script = """
        set -euo pipefail
        next=""
        while :; do
          url="$KRAUT_URL/api/v1/vms?limit=500"
          if [ -n "$next" ]; then url="$url&continue=$(jq -rn --arg v "$next" '$v|@uri')"; fi
          page=$(curl -sSf -H "Authorization: Bearer $KRAUT_TOKEN" "$url")
          jq -r "$PICK" <<<"$page"
          next=$(jq -r '.continue // empty' <<<"$page")
          if [ -z "$next" ]; then break; fi
        done
        """;

    private sealed record Side(string Name, string File, string[] Args);

    public static async Task<string> RunAsync(int vms, int runs)
    {
        var loadAtStart = MachineInfo.LoadAverage();
        Tool.PackagedFile("/usr/bin/curl", "curl");
        Tool.PackagedFile("/usr/bin/jq", "jq");
        Tool.PackagedFile("/usr/bin/column", "bsdextrautils");
        using var cli = await PublishedCli.PublishAsync();
        Console.WriteLine($"[cli-list] populating a portal database with {vms:N0} VMs");
        await using var db = await ListDatabase.CreateAsync(vms, throughStore: 200);
        // The rows name hosts this portal does not have: it lists them as recorded and has no libvirt work to do for them.
        await using var portal = new PortalProcess(TestHosts.TestDriver, seedImage: null, sharedDataDirectory: db.Directory)
        {
            AspNetEnvironment = "Production",
            GodTokenName = "bench",
        };
        await portal.StartAsync(TimeSpan.FromMinutes(3));
        // Its reconcilers keep retrying the 10,000 VMs (their hosts are not configured), so it is never idle: both sides
        // meet the same busy portal, alternating, and how busy is reported with the figures.
        var portalTicks = CpuTicks(portal.ProcessId);
        var timed = Stopwatch.StartNew();

        var environment = new Dictionary<string, string>
        {
            ["KRAUT_URL"] = portal.BaseAddress.ToString().TrimEnd('/'),
            ["KRAUT_REMOTE"] = portal.BaseAddress.ToString().TrimEnd('/'),
            ["KRAUT_TOKEN"] = portal.GodToken,
            ["HOME"] = Directory.CreateTempSubdirectory("kraut-bench-home-").FullName,
        };
        var cases = new (string Label, Side Kraut, Side Hand, bool Table)[]
        {
            ("names", new("kraut vm list -o name", cli.Kraut, ["vm", "list", "-o", "name"]),
                new("curl + jq -r '.items[].name'", "/bin/bash", ["-c", Script, "--"]), false),
            ("table", new("kraut vm list --no-headers", cli.Kraut, ["vm", "list", "--no-headers"]),
                new("curl + jq @tsv (same six fields) + column -t", "/bin/bash", ["-c", Script + " | column -t -s $'\\t'", "--"]), true),
        };
        var table = new MarkdownTable("output", "side", "p50 (ms)", "p95 (ms)", "max (ms)", "/ curl+jq (p50)");
        var summary = new StringBuilder();
        foreach (var c in cases)
        {
            environment["PICK"] = c.Table ? $".items[] | {Fields} | map(. // \"\") | @tsv" : ".items[].name";
            var kraut = Run(c.Kraut, environment);
            var hand = Run(c.Hand, environment);
            SameRows(c.Label, kraut.Output, hand.Output, vms);
            var samples = (Kraut: new List<double>(), Hand: new List<double>());
            for (var i = 0; i < runs; i++)
            {
                // Alternating who goes first, so neither always finds the portal's caches warmed by the other.
                if (i % 2 == 0)
                {
                    samples.Kraut.Add(Run(c.Kraut, environment).Ms);
                    samples.Hand.Add(Run(c.Hand, environment).Ms);
                }
                else
                {
                    samples.Hand.Add(Run(c.Hand, environment).Ms);
                    samples.Kraut.Add(Run(c.Kraut, environment).Ms);
                }
            }
            var (k, h) = (Stats.Of(samples.Kraut), Stats.Of(samples.Hand));
            table.Add(c.Label, c.Kraut.Name, Stats.Ms(k.P50), Stats.Ms(k.P95), Stats.Ms(k.Max), Stats.Ratio(k.P50, h.P50));
            table.Add(c.Label, c.Hand.Name, Stats.Ms(h.P50), Stats.Ms(h.P95), Stats.Ms(h.Max), "1.00×");
            summary.AppendLine(CultureInfo.InvariantCulture, $"**{c.Label}: kraut / curl+jq, median: {Stats.Ratio(k.P50, h.P50)}**").AppendLine();
            Console.WriteLine($"[cli-list] {c.Label}: kraut p50 {Stats.Ms(k.P50)} ms, curl+jq p50 {Stats.Ms(h.P50)} ms");
        }
        Directory.Delete(environment["HOME"], recursive: true);
        var portalCores = (CpuTicks(portal.ProcessId) - portalTicks) / (double)TicksPerSecond() / timed.Elapsed.TotalSeconds;

        var text = new StringBuilder();
        text.AppendLine("## cli-list").AppendLine();
        text.Append(await MachineInfo.DescribeAsync(loadAtStart)).AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"""
            {vms:N0} VMs in the built portal's SQLite database (Production settings, on this machine's loopback), every page
            of 500 read by each side, {runs} runs per side after one checked run, the sides alternating; wall clock from process
            start to exit, output read to the end. Both sides printed the same {vms:N0} rows. The rows name a libvirt host the
            portal is not configured with, and its reconcilers kept retrying them throughout: the portal process used
            {portalCores:0.00} of this machine's 2 cores on average while the sides ran, the same for both.
            """).AppendLine();
        text.Append(table).AppendLine();
        text.Append(summary);
        Console.WriteLine(text);
        return text.ToString();
    }

    private static (double Ms, string Output) Run(Side side, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(side.File, side.Args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var ms = clock.Elapsed.TotalMilliseconds;
        if (process.ExitCode != 0) throw new InvalidOperationException($"{side.Name} exited {process.ExitCode}: {error.Result}");
        return (ms, output);
    }

    /// <summary>The same rows, cell for cell (tables compared by their whitespace-separated cells, as widths differ).</summary>
    private static void SameRows(string label, string kraut, string hand, int expected)
    {
        static List<string> Rows(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => string.Join(' ', l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))).ToList();
        var (k, h) = (Rows(kraut), Rows(hand));
        if (k.Count != expected || !k.SequenceEqual(h))
        {
            var first = k.Zip(h).Select((p, i) => (p, i)).FirstOrDefault(x => x.p.First != x.p.Second);
            throw new InvalidOperationException($"{label}: kraut printed {k.Count} rows, curl+jq {h.Count} (expected {expected}); first difference at row {first.i}: '{first.p.First}' vs '{first.p.Second}'");
        }
    }

    private static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // utime and stime: fields 14 and 15 of stat(5), here 11 and 12 after the command name.
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    private static long TicksPerSecond() => long.Parse(Tool.Run("getconf", "CLK_TCK").Trim(), CultureInfo.InvariantCulture);
}
