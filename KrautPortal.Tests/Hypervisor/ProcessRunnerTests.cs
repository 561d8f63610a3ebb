using System.Diagnostics;
using KrautPortal.Hypervisor;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>The one way Kraut runs a tool, with real processes: each limit stops what it should and says so.</summary>
public sealed class ProcessRunnerTests
{
    [Fact]
    public async Task WallClockLimit_KillsAProcessThatOutlivesIt_AndReportsTimedOut()
    {
        var clock = Stopwatch.StartNew();

        var result = await ProcessRunner.RunAsync("sh", ["-c", "echo started; sleep 30; echo finished"],
            new ToolLimits(TimeSpan.FromSeconds(1), null, null), null, CancellationToken.None);

        Assert.True(result.TimedOut);
        Assert.Equal(9, result.Signal); // SIGKILL
        Assert.Equal("started\n", result.StandardOutput);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task OutputOverTheLimit_IsTruncated_AndReported_WhileTheToolRunsToItsEnd()
    {
        var result = await ProcessRunner.RunAsync("sh", ["-c", "head -c 100000 /dev/zero | tr '\\0' a; echo done >&2"],
            new ToolLimits(TimeSpan.FromSeconds(30), null, null, 1000), null, CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.True(result.OutputTruncated);
        Assert.Equal(new string('a', 1000), result.StandardOutput);
        Assert.Equal("done\n", result.StandardError);
    }

    [Fact]
    public async Task EndlessOutput_KeepsOnlyTheLimit_UntilTheClockStopsIt()
    {
        var result = await ProcessRunner.RunAsync("yes", [], new ToolLimits(TimeSpan.FromSeconds(1), null, null, 4096), null, CancellationToken.None);

        Assert.True(result.TimedOut);
        Assert.True(result.OutputTruncated);
        Assert.Equal(4096, result.StandardOutput.Length);
    }

    [Fact]
    public async Task OutputWithinTheLimit_IsWhole_AndNotMarkedTruncated()
    {
        var result = await ProcessRunner.RunAsync("printf", ["%s", "exactly"], new ToolLimits(null, null, null, 7), null, CancellationToken.None);

        Assert.False(result.OutputTruncated);
        Assert.Equal("exactly", result.StandardOutput);
    }

    [Fact]
    public async Task StreamedOutput_ReachesTheCallback_InFull_EvenPastTheKeptLimit()
    {
        var lines = new List<string>();

        var result = await ProcessRunner.RunAsync("seq", ["1", "2000"], new ToolLimits(null, null, null, 0), lines.Add, CancellationToken.None);

        Assert.Equal(Enumerable.Range(1, 2000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), lines);
        Assert.Equal("", result.StandardOutput);
        Assert.True(result.OutputTruncated);
    }

    [Fact]
    public async Task AddressSpaceLimit_StopsAToolThatAllocatesPastIt()
    {
        // The shell holds 50 MB of output in a variable: more than the 30 MiB it may map.
        const string Script = "x=$(head -c 50000000 /dev/zero | tr '\\0' a); echo ${#x}";

        var limited = await ProcessRunner.RunAsync("sh", ["-c", Script], new ToolLimits(TimeSpan.FromSeconds(30), null, 30L << 20), null, CancellationToken.None);
        var unlimited = await ProcessRunner.RunAsync("sh", ["-c", Script], new ToolLimits(TimeSpan.FromSeconds(30), null, null), null, CancellationToken.None);

        Assert.NotEqual(0, limited.ExitCode);
        Assert.DoesNotContain("50000000", limited.StandardOutput, StringComparison.Ordinal);
        Assert.Equal("50000000\n", unlimited.StandardOutput);
    }

    [Fact]
    public async Task Cancellation_KillsTheProcess_AndThrows()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"kraut-runner-{Guid.NewGuid():N}");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            ProcessRunner.RunAsync("sh", ["-c", $"sleep 3; touch {marker}"], ToolLimits.None, null, cancel.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.False(File.Exists(marker), "the cancelled shell went on to finish its script");
    }

    [Fact]
    public async Task AMissingTool_IsAnException_NotAResult()
    {
        await Assert.ThrowsAsync<System.ComponentModel.Win32Exception>(() =>
            ProcessRunner.RunAsync("kraut-no-such-tool", [], CancellationToken.None));
    }
}
