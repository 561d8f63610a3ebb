using System.Diagnostics;
using System.Text;
using KrautPortal.Benchmarks.Support;

namespace KrautPortal.Benchmarks.Cli;

/// <summary>
/// How long <c>kraut --version</c> takes from exec to exit, against <c>curl --version</c>: the start-up a person feels on
/// every command. The CLI is measured as installed (README: dotnet publish, ReadyToRun) and as the build leaves it
/// (JIT), the two sides alternating in one run.
/// </summary>
public static class CliStartupBenchmark
{
    public static async Task<string> RunAsync(int runs)
    {
        var loadAtStart = MachineInfo.LoadAverage();
        using var published = await PublishedCli.PublishAsync();
        var sides = new (string Name, string File, string Arg)[]
        {
            ("kraut --version (published, ReadyToRun)", published.Kraut, "--version"),
            ("kraut --version (build output, JIT)", PublishedCli.BuildOutput, "--version"),
            ("curl --version", Tool.PackagedFile("/usr/bin/curl", "curl"), "--version"),
        };
        var samples = sides.Select(_ => new List<double>()).ToArray();
        foreach (var side in sides) Time(side.File, side.Arg); // warm the page cache once
        for (var i = 0; i < runs; i++)
        {
            // Rotated start so no side always runs first after the others.
            for (var j = 0; j < sides.Length; j++)
            {
                var k = (i + j) % sides.Length;
                samples[k].Add(Time(sides[k].File, sides[k].Arg));
            }
        }
        var curl = Stats.Of(samples[^1]);
        var table = new MarkdownTable("command", "p50 (ms)", "p95 (ms)", "max (ms)", "/ curl (p50)");
        for (var s = 0; s < sides.Length; s++)
        {
            var stats = Stats.Of(samples[s]);
            table.Add(sides[s].Name, Stats.Ms(stats.P50), Stats.Ms(stats.P95), Stats.Ms(stats.Max), Stats.Ratio(stats.P50, curl.P50));
        }
        var text = new StringBuilder();
        text.AppendLine("## cli-startup").AppendLine();
        text.Append(await MachineInfo.DescribeAsync(loadAtStart)).AppendLine();
        text.AppendLine($"{runs} runs per command after one warm-up each, the three alternating; wall clock from process start to exit.").AppendLine();
        text.Append(table).AppendLine();
        text.AppendLine($"**kraut (published) / curl, median: {Stats.Ratio(Stats.Of(samples[0]).P50, curl.P50)}**").AppendLine();
        text.AppendLine("""
            What was done for start-up: ReadyToRun code on publish (no JIT of System.CommandLine, Spectre.Console and
            YamlDotNet), InvariantGlobalization (no ICU), no satellite resources, and no HTTP client or config read before a
            command needs one. A .NET host still loads the runtime on every start, which curl (one small C binary) does not;
            Native AOT would remove that and was not tried (YamlDotNet reads the config by reflection).
            """);
        Console.WriteLine(text);
        return text.ToString();
    }

    private static double Time(string file, string arg)
    {
        var start = new ProcessStartInfo(file, [arg]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {arg} exited {process.ExitCode}");
        return elapsed;
    }
}
