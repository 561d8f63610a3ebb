using KrautPortal.Features.Images;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Images;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.VmImages;

/// <summary>
/// Crash safety of images made from VMs: a portal stopped while it copied a VM's disk, started again on the same data
/// directory, copies it anew (or hands on what was complete) and ends Ready, or Failed saying why. As in
/// <see cref="PipelineRestartTests"/>, each test leaves exactly what a crash at that point would leave, then restarts.
/// </summary>
public sealed class VmImageRestartTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("kraut-vmimage-").FullName;

    public void Dispose()
    {
        TestDatabase.Remove(_data);
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task CopyingWithAHalfCopyLeft_AfterRestart_CopiesAgain_AndBecomesReady()
    {
        Guid image;
        using (var before = new KrautAppFactory(dataDirectory: Seeded()))
        {
            var vm = await StoppedVmAsync(before);
            image = await CopyingAsync(before, vm);
            await File.WriteAllBytesAsync(before.Service<ImageStorage>().PartialPath(image), new byte[12345]); // qemu-img cut off midway
        }

        using var after = new KrautAppFactory(dataDirectory: _data);
        _ = after.Server; // start: the copier picks up what was interrupted on its own
        var status = await ImageArrival.ReadyAsync(after, image);

        Assert.Equal(ImageFormat.Qcow2, status.Format);
        Assert.Equal(64L << 20, status.VirtualSizeBytes);
        var storage = after.Service<ImageStorage>();
        Assert.False(File.Exists(storage.PartialPath(image)));
        Assert.False(File.Exists(storage.ArrivedPath(image)));
    }

    [Fact]
    public async Task CopiedButNotYetHandedOn_AfterRestart_GoesThroughThePipeline_WithoutTheVm()
    {
        Guid image;
        using (var before = new KrautAppFactory(dataDirectory: Seeded()))
        {
            var vm = await StoppedVmAsync(before);
            image = await CopyingAsync(before, vm);
            // The copy was complete and in place; then the VM went, which no longer matters.
            File.Copy(Path.Combine(_data, "seed", Features.Seeding.FirstRunSeeder.GuestImageFile), before.Service<ImageStorage>().ArrivedPath(image));
            await new KrautApi(before.CreateClient()).DeleteVmAsync(vm);
        }

        using var after = new KrautAppFactory(dataDirectory: _data);
        _ = after.Server;
        var status = await ImageArrival.ReadyAsync(after, image);

        Assert.Equal(SourceFormat.Qcow2, status.SourceFormat);
        Assert.False(File.Exists(after.Service<ImageStorage>().ArrivedPath(image)));
    }

    [Fact]
    public async Task CopyingFromAVmThatIsGone_AfterRestart_FailsSayingWhy()
    {
        Guid image;
        using (var before = new KrautAppFactory(dataDirectory: Seeded()))
        {
            var vm = await StoppedVmAsync(before);
            image = await CopyingAsync(before, vm);
            var api = new KrautApi(before.CreateClient());
            await api.DeleteVmAsync(vm);
            await Eventually.WaitUntilAsync(async () => await api.GetVmAsync(vm) is null, TimeSpan.FromSeconds(30), "the VM to be gone");
        }

        using var after = new KrautAppFactory(dataDirectory: _data);
        _ = after.Server;
        var status = await ImageArrival.RefusedAsync(after, image);

        Assert.Contains("was deleted before its disk was copied", status.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(after.Service<ImageStorage>().PartialPath(image)));
    }

    /// <summary>The data directory with the blank seed image, as a fresh portal's would be.</summary>
    private string Seeded()
    {
        SeedImages.Put(_data, SeedImages.Blank);
        return _data;
    }

    private static async Task<Guid> StoppedVmAsync(KrautAppFactory app)
    {
        var api = new KrautApi(app.CreateClient());
        var id = await api.CreateVmAsync(Api.ApiClient.UniqueName("restart"));
        await api.WaitForPhaseAsync(id, "running", TimeSpan.FromSeconds(30));
        await api.ActAsync(id, "stop");
        await api.WaitForPhaseAsync(id, "stopped", TimeSpan.FromSeconds(30));
        return id;
    }

    /// <summary>An image record in phase Copying from <paramref name="vm"/>, as the API leaves it just before its copy starts.</summary>
    private static async Task<Guid> CopyingAsync(KrautAppFactory app, Guid vm)
    {
        var id = await ImageArrival.CreateRecordAsync(app, Api.ApiClient.UniqueName("copying"));
        await ImageArrival.SetStatusAsync(app, id, new ImageStatus
        {
            Phase = ImagePhase.Copying, Progress = 40, PhaseStartedAt = DateTime.UtcNow, FromVm = new ImageVmSource(vm, "restart", null),
        });
        return id;
    }
}
