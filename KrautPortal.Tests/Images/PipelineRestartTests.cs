using KrautPortal.Features.Images;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Images;

/// <summary>
/// Crash safety: a portal stopped mid-pipeline and started again on the same data directory finishes what it
/// can and says plainly what it cannot. Killing the process between two steps is not possible in-process, so
/// each test leaves exactly what a crash at that point would leave, then restarts.
/// </summary>
public sealed class PipelineRestartTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _data = Directory.CreateTempSubdirectory("kraut-restart-").FullName;

    public void Dispose()
    {
        _dir.Dispose();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task ConvertingWithAHalfWorkFileLeft_AfterRestart_StartsOverAndBecomesReady()
    {
        Guid id;
        using (var before = new KrautAppFactory(seedImage: null, dataDirectory: _data))
        {
            id = await ImageArrival.CreateRecordAsync(before, "interrupted");
            var storage = before.Service<ImageStorage>();
            File.Copy(TestImages.Guest(_dir, "vmdk"), storage.ArrivedPath(id));
            await File.WriteAllBytesAsync(storage.WorkPath(id), new byte[12345]); // a conversion cut off midway
            await ImageArrival.SetStatusAsync(before, id, new ImageStatus { Phase = ImagePhase.Converting, Progress = 40, SourceFormat = SourceFormat.Vmdk });
        }

        using var after = new KrautAppFactory(seedImage: null, dataDirectory: _data);
        _ = after.Server; // start: the pipeline picks up what was interrupted on its own
        var status = await ImageArrival.ReadyAsync(after, id);

        Assert.Equal(ImageFormat.Qcow2, status.Format);
        Assert.Equal(SourceFormat.Vmdk, status.SourceFormat);
        var storageAfter = after.Service<ImageStorage>();
        Assert.False(File.Exists(storageAfter.WorkPath(id)));
        Assert.False(File.Exists(storageAfter.ArrivedPath(id)));
        Assert.Contains("identical", TestImages.QemuImg("compare", "-f", "qcow2", "-F", "qcow2", TestGuest.ImagePath, storageAfter.PathFor(id, ImageFormat.Qcow2)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishedButNotYetMarkedReady_AfterRestart_BecomesReadyWithoutConvertingAgain()
    {
        Guid id;
        using (var before = new KrautAppFactory(seedImage: null, dataDirectory: _data))
        {
            id = await ImageArrival.CreateRecordAsync(before, "published");
            File.Copy(TestGuest.ImagePath, before.Service<ImageStorage>().PathFor(id, ImageFormat.Qcow2));
            await ImageArrival.SetStatusAsync(before, id, new ImageStatus { Phase = ImagePhase.Converting, Progress = 100, SourceFormat = SourceFormat.Raw });
        }

        using var after = new KrautAppFactory(seedImage: null, dataDirectory: _data);
        _ = after.Server;
        var status = await ImageArrival.ReadyAsync(after, id);

        Assert.Equal(ImageFormat.Qcow2, status.Format);
        Assert.Equal(SourceFormat.Raw, status.SourceFormat);
        Assert.Equal(64L << 20, status.VirtualSizeBytes);
    }

    [Fact]
    public async Task CheckingWithoutAnyContent_AfterRestart_FailsAsLost()
    {
        Guid id;
        using (var before = new KrautAppFactory(seedImage: null, dataDirectory: _data))
        {
            id = await ImageArrival.CreateRecordAsync(before, "lost");
            await ImageArrival.SetStatusAsync(before, id, new ImageStatus { Phase = ImagePhase.Checking });
        }

        using var after = new KrautAppFactory(seedImage: null, dataDirectory: _data);
        _ = after.Server;
        var status = await ImageArrival.RefusedAsync(after, id);

        Assert.Equal("The content was lost; upload again.", status.Message);
    }
}

/// <summary>A hang or a crash of qemu-img is a refusal with a reason, never a stuck image.</summary>
public sealed class PipelineLimitRefusalTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task InspectionThatOutlivesItsTimeLimit_IsKilledAndRefused()
    {
        // A zero time limit stands for an image that makes qemu-img hang: every inspection outlives it.
        using var app = new KrautAppFactory(seedImage: null, settings: new Dictionary<string, string?> { ["Images:InfoTimeoutSeconds"] = "0" });

        var status = await ImageArrival.RefusedAsync(app, await ImageArrival.ArriveAsync(app, "hangs", TestImages.Guest(_dir, "vhdx")));

        Assert.StartsWith("Reading the vhdx header took longer than 0 s, so it was stopped", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InspectionThatRunsOutOfMemory_IsRefused()
    {
        using var app = new KrautAppFactory(seedImage: null, settings: new Dictionary<string, string?> { ["Images:InfoMemoryBytes"] = (20L << 20).ToString() });

        var status = await ImageArrival.RefusedAsync(app, await ImageArrival.ArriveAsync(app, "greedy", TestImages.Guest(_dir, "qcow2")));

        Assert.StartsWith("Reading the qcow2 header needed more memory or CPU time than allowed (qemu-img was stopped by signal 6)", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RawStorageFormat_StoresDisksAsRaw()
    {
        using var app = new KrautAppFactory(seedImage: null, settings: new Dictionary<string, string?> { ["Images:StorageFormat"] = "raw" });

        var id = await ImageArrival.ArriveAsync(app, "as-raw", TestImages.Guest(_dir, "vhdx"));
        var status = await ImageArrival.ReadyAsync(app, id);

        Assert.Equal(ImageFormat.Raw, status.Format);
        var stored = app.Service<ImageStorage>().PathFor(id, ImageFormat.Raw);
        Assert.Equal("raw", (await QemuImg.InfoAsync(stored, "raw", CancellationToken.None)).Format);
        Assert.Contains("identical", TestImages.QemuImg("compare", "-f", "raw", "-F", "qcow2", stored, TestGuest.ImagePath), StringComparison.Ordinal);
    }
}
