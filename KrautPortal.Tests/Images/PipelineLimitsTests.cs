using System.Diagnostics;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Images;

/// <summary>The qemu-img wrapper's limits and conversion, against the real tools: what the pipeline builds on.</summary>
public sealed class PipelineLimitsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task WallClockLimit_KillsTheProcess_AndSaysItTimedOut()
    {
        var clock = Stopwatch.StartNew();

        var result = await ProcessRunner.RunAsync("sleep", ["30"], new ToolLimits(TimeSpan.FromSeconds(1), null, null), null, CancellationToken.None);

        Assert.True(result.TimedOut);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task CpuLimit_KillsABusyLoop()
    {
        var clock = Stopwatch.StartNew();

        var result = await ProcessRunner.RunAsync("sh", ["-c", "while :; do :; done"], new ToolLimits(TimeSpan.FromSeconds(30), 1, null), null, CancellationToken.None);

        Assert.False(result.TimedOut);
        Assert.True(result.Signal is 9 or 24, $"exit {result.ExitCode}"); // SIGKILL or SIGXCPU
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task AddressSpaceLimit_StopsQemuImg_AsACrashNotAHang()
    {
        var e = await Assert.ThrowsAsync<QemuImgException>(() =>
            QemuImg.InspectAsync(TestGuest.ImagePath, "qcow2", new ToolLimits(TimeSpan.FromSeconds(10), 10, 20L << 20), CancellationToken.None));

        Assert.False(e.TimedOut);
        Assert.Equal(6, e.Signal); // SIGABRT: qemu-img could not allocate its thread stacks
    }

    [Fact]
    public async Task Inspect_UnderOrdinaryLimits_ReadsTheImage()
    {
        var info = await QemuImg.InspectAsync(TestGuest.ImagePath, "qcow2", new ToolLimits(TimeSpan.FromSeconds(15), 15, 512L << 20), CancellationToken.None);

        Assert.Equal("qcow2", info.Format);
        Assert.Equal(64L << 20, info.VirtualSizeBytes);
        Assert.False(info.HasBacking);
    }

    [Fact]
    public async Task Check_ReportsAConsistentImage()
    {
        var check = await QemuImg.CheckAsync(TestGuest.ImagePath, "qcow2", new ToolLimits(TimeSpan.FromSeconds(15), 15, 512L << 20), CancellationToken.None);

        Assert.True(check.Supported);
        Assert.True(check.IsConsistent);
    }

    [Fact]
    public async Task Convert_ReportsProgressUpTo100_AndWritesTheSameDisk()
    {
        var source = TestImages.Guest(_dir, "vdi");
        var target = _dir["out.qcow2"];
        var seen = new List<double>();

        await QemuImg.ConvertAsync(source, "vdi", target, "qcow2", new ToolLimits(null, null, 1L << 30), new SyncProgress(seen.Add), CancellationToken.None);

        Assert.NotEmpty(seen);
        Assert.Equal(100, seen[^1]);
        Assert.Equal(seen.Order(), seen);
        Assert.Contains("identical", TestImages.QemuImg("compare", "-f", "qcow2", "-F", "qcow2", TestGuest.ImagePath, target), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_NeverOpensABackingFile_EvenWithoutTheChecksBeforeIt()
    {
        var secret = TestImages.Secret(_dir);
        var overlay = _dir["overlay.qcow2"];
        TestImages.QemuImg("create", "-q", "-f", "qcow2", "-F", "raw", "-b", secret, overlay, "1M");
        using var watch = new OpenWatch(secret);

        await QemuImg.ConvertAsync(overlay, "qcow2", _dir["flat.qcow2"], "qcow2", ToolLimits.None, null, CancellationToken.None);
        Assert.Equal((0, 0), watch.Take());

        // Control: the same conversion as qemu-img does it by default reads the backing file, and the watch sees it.
        TestImages.QemuImg("convert", "-f", "qcow2", "-O", "qcow2", overlay, _dir["followed.qcow2"]);
        var (opens, reads) = watch.Take();
        Assert.True(opens > 0 && reads > 0, $"opens {opens}, reads {reads}");
    }

    [Fact]
    public async Task RelativePaths_AreRejected_SoNoNameIsTakenForAProtocol() =>
        await Assert.ThrowsAsync<ArgumentException>(() =>
            QemuImg.ConvertAsync("nbd:evil:1234", "raw", _dir["x.qcow2"], "qcow2", ToolLimits.None, null, CancellationToken.None));

    /// <summary>Progress&lt;T&gt; posts to the thread pool; tests want the calls in order, as they happen.</summary>
    private sealed class SyncProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
