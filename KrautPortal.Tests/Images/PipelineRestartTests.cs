using System.Net.Http.Json;
using System.Text.Json;
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

/// <summary>
/// The real crash: the portal as its own process, killed with SIGKILL (qemu-img with it) while it converts, then
/// started again on the same data directory. It must convert again from the upload and become Ready, with no
/// half-written file left and the same disk as the input.
/// </summary>
public sealed class PipelineKillTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly PortalProcess _portal = new(KrautAppFactory.TestDriver, seedImage: null);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _portal.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task KilledMidConversion_ConvertsAgainAfterRestart_AndBecomesReady()
    {
        // 1 GiB of data in a 2 GiB raw disk: long enough to be caught mid-way, even on an idle machine.
        var raw = _dir["big.raw"];
        using (var file = File.Create(raw))
        {
            var chunk = new byte[1 << 20];
            var random = new Random(3);
            for (var i = 0; i < 2048; i++)
            {
                if (i % 2 == 0)
                {
                    random.NextBytes(chunk);
                    file.Write(chunk);
                }
                else
                {
                    file.Seek(1 << 20, SeekOrigin.Current);
                }
            }
            file.SetLength(2L << 30);
        }

        // The state an upload leaves behind, written by the portal's own code before the process starts.
        Guid id;
        string arrived, work, final;
        using (var setup = new KrautAppFactory(seedImage: null, dataDirectory: _portal.DataDirectory))
        {
            id = await ImageArrival.CreateRecordAsync(setup, "killed");
            var storage = setup.Service<ImageStorage>();
            (arrived, work, final) = (storage.ArrivedPath(id), storage.WorkPath(id), storage.PathFor(id, ImageFormat.Qcow2));
            File.Copy(raw, arrived);
            await ImageArrival.SetStatusAsync(setup, id, new ImageStatus { Phase = ImagePhase.Checking });
        }

        // The pipeline picks the image up while the portal is still starting, before it answers HTTP, so the
        // half-written output is what shows the conversion is under way.
        var starting = _portal.StartAsync();
        await Eventually.WaitUntilAsync(() => File.Exists(work) && new FileInfo(work).Length > 0 || starting.IsCompleted && File.Exists(final),
            TimeSpan.FromSeconds(60), "the conversion to be under way");
        _portal.Kill();
        try
        {
            await starting;
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or ObjectDisposedException or HttpRequestException)
        {
            // killed before it answered HTTP: the crash this test is about
        }
        Assert.False(File.Exists(final), "the conversion finished before the kill; the test caught nothing mid-way");
        Assert.True(File.Exists(arrived));

        await _portal.StartAsync();
        using var after = _portal.CreateClient();
        var status = await Eventually.WaitForAsync(async () => await StatusAsync(after, id) is { Phase: ImagePhase.Ready or ImagePhase.Failed } s ? s : null,
            TimeSpan.FromSeconds(120), "the image to settle after the restart");

        Assert.True(status.Phase == ImagePhase.Ready, $"{status.Phase}: {status.Message}");
        Assert.Equal((ImageFormat.Qcow2, 2L << 30), (status.Format!.Value, status.VirtualSizeBytes!.Value));
        Assert.False(File.Exists(work));
        Assert.False(File.Exists(arrived));
        Assert.Contains("identical", TestImages.QemuImg("compare", "-f", "raw", "-F", "qcow2", raw, final), StringComparison.Ordinal);
    }

    private static async Task<ImageStatus> StatusAsync(HttpClient client, Guid id)
    {
        var image = await client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v1/images/{id}");
        return image.GetProperty("status").Deserialize<ImageStatus>(KrautAppFactory.Json)!;
    }
}
