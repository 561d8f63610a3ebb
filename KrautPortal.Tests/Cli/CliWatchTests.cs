using System.Diagnostics;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Cli;

/// <summary><c>kraut watch</c> piped: one "NAME PHASE" line per change, and --until-phase ending it with 0 or 1.</summary>
[Collection(CliCollection.Name)]
public sealed class CliWatchTests(CliPortal portal)
{
    [Fact]
    public async Task Watch_Piped_PrintsALinePerChange_AndEndsOnceEveryVmIsInThePhase()
    {
        var batch = ApiClient.UniqueName("watch");
        var name = $"{batch}-vm";
        Process? watch = null;
        try
        {
            await portal.ExpectAsync(0, "vm", "create", name, "--image", "kraut-test-guest", "--network", "default", "--type", "small",
                "--meta", $"batch={batch}", "--stopped", "--wait", "--timeout", "60s");

            watch = Start("watch", "vms", "-l", $"batch={batch}", "--until-phase", "running", "--interval", "0.2", "--timeout", "60s");
            Assert.Equal($"{name} stopped", await watch.StandardOutput.ReadLineAsync().WaitAsync(CliPortal.RunTimeout));

            await portal.ExpectAsync(0, "vm", "start", name, "--wait", "--timeout", "60s");

            var rest = await watch.StandardOutput.ReadToEndAsync().WaitAsync(CliPortal.RunTimeout);
            await watch.WaitForExitAsync().WaitAsync(CliPortal.RunTimeout);
            Assert.True(watch.ExitCode == 0, $"exit {watch.ExitCode}: {rest}{await watch.StandardError.ReadToEndAsync()}");
            var lines = rest.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal($"{name} running", lines[^1]);
            Assert.All(lines, l => Assert.StartsWith(name + " ", l, StringComparison.Ordinal));

            var late = await portal.ExpectAsync(1, "watch", "vms", "-l", $"batch={batch}", "--until-phase", "stopped", "--timeout", "1s");
            Assert.Contains($"not yet stopped: {name} (running)", late.Err, StringComparison.Ordinal);
            await portal.ExpectAsync(2, "watch", "gadgets");
        }
        finally
        {
            if (watch is { HasExited: false }) watch.Kill();
            watch?.Dispose();
            await portal.RunAsync("vm", "delete", "-l", $"batch={batch}", "--yes");
        }
    }

    /// <summary>kraut started with its output read as it comes (CliPortal.RunAsync reads it only at the end).</summary>
    private Process Start(params string[] args)
    {
        var start = new ProcessStartInfo(CliPortal.Executable)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var variable in new[] { "KRAUT_REMOTE", "KRAUT_TOKEN", "KRAUT_PAGE_SIZE", "COLUMNS" }) start.Environment.Remove(variable);
        start.Environment["XDG_CONFIG_HOME"] = portal.ConfigHome;
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        return process;
    }
}
