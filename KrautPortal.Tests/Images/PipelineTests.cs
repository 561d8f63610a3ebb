using System.Net;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using KrautPortal.Features.Images;
using KrautPortal.Features.Store;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Images;

public sealed class PipelineFixture : IDisposable
{
    public KrautAppFactory App { get; } = new();

    public void Dispose() => App.Dispose();
}

/// <summary>The pipeline end to end on libvirt's test driver: conversions, ISOs, VMs from them, and restarts.</summary>
public sealed class PipelineTests(PipelineFixture fixture) : IClassFixture<PipelineFixture>, IDisposable
{
    private readonly KrautAppFactory _app = fixture.App;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task RawDisk_IsConvertedToQcow2_PublishedAndReady()
    {
        var id = await ImageArrival.ArriveAsync(_app, "raw-guest", TestImages.Guest(_dir, "raw"));

        var status = await ImageArrival.ReadyAsync(_app, id);

        Assert.Equal(ImageFormat.Qcow2, status.Format);
        Assert.Equal(SourceFormat.Raw, status.SourceFormat);
        Assert.Equal(64L << 20, status.VirtualSizeBytes);
        Assert.InRange(status.ActualSizeBytes!.Value, 1, 64L << 20);
        Assert.Equal(100, status.Progress);
        Assert.NotNull(status.PhaseStartedAt);
        Assert.Null(status.Message);
        var storage = _app.Service<ImageStorage>();
        Assert.False(File.Exists(storage.ArrivedPath(id)));
        Assert.False(File.Exists(storage.WorkPath(id)));
        var stored = storage.PathFor(id, ImageFormat.Qcow2);
        Assert.Contains("identical", TestImages.QemuImg("compare", "-f", "qcow2", "-F", "qcow2", TestGuest.ImagePath, stored), StringComparison.Ordinal);
        Assert.False((await QemuImg.InfoAsync(stored, "qcow2", CancellationToken.None)).HasBacking);
    }

    [Fact]
    public async Task Conversion_StoresItsPhasesAndProgressAsTheyHappen()
    {
        using var app = new KrautAppFactory(seedImage: null, settings: new Dictionary<string, string?> { ["Images:ProgressWriteMilliseconds"] = "0" });

        var phases = await ConvertWatchingAsync(app, "progress");

        var checking = phases.Single(s => s is { Phase: ImagePhase.Checking, Message: "Checking the content." });
        var converting = phases.Where(s => s.Phase == ImagePhase.Converting).ToList();
        Assert.Equal(0, converting[0].Progress);
        Assert.Equal("Converting raw to qcow2.", converting[0].Message);
        Assert.Equal(SourceFormat.Raw, converting[0].SourceFormat);
        Assert.Contains(converting, s => s.Progress is > 0 and < 100);
        Assert.Equal(converting.Select(s => s.Progress), converting.Select(s => s.Progress).Order());
        Assert.True(converting[0].PhaseStartedAt >= checking.PhaseStartedAt, $"{converting[0].PhaseStartedAt} after {checking.PhaseStartedAt}");
        Assert.Equal(ImagePhase.Ready, phases[^1].Phase);
    }

    [Fact]
    public async Task ConversionProgress_IsStoredAtMostOncePerInterval()
    {
        // With a minute between writes, a conversion of a few hundred milliseconds stores its first step and no other.
        using var app = new KrautAppFactory(seedImage: null, settings: new Dictionary<string, string?> { ["Images:ProgressWriteMilliseconds"] = "60000" });

        var phases = await ConvertWatchingAsync(app, "progress-throttled");

        var steps = phases.Where(s => s is { Phase: ImagePhase.Converting, Progress: > 0 and < 100 }).ToList();
        Assert.True(steps.Count <= 1, $"progress stored {steps.Count} times: {string.Join(", ", steps.Select(s => s.Progress))}");
        Assert.Equal((ImagePhase.Ready, 100d), (phases[^1].Phase, phases[^1].Progress));
    }

    /// <summary>
    /// Converts a raw disk with 128 MiB of data in every other MiB of 256 (qemu-img reports whole percents of the
    /// data it copies, so it has some to report) and returns every status the pipeline stored, in order.
    /// </summary>
    private async Task<List<ImageStatus>> ConvertWatchingAsync(KrautAppFactory app, string name)
    {
        var raw = _dir[name + ".raw"];
        using (var file = File.Create(raw))
        {
            var chunk = new byte[1 << 20];
            new Random(1).NextBytes(chunk);
            for (var i = 0; i < 256; i++)
            {
                if (i % 2 == 0) file.Write(chunk);
                else file.Seek(1 << 20, SeekOrigin.Current);
            }
        }
        var seen = new List<ImageStatus>();
        var id = Guid.Empty;
        using var subscription = app.Service<ChangeFeed>().Subscribe(change =>
        {
            if (change.Id != id || id == Guid.Empty) return;
            using var scope = app.Services.CreateScope();
            var row = scope.ServiceProvider.GetRequiredService<KrautDbContext>().Resources.Single(r => r.Id == change.Id);
            lock (seen) seen.Add(KrautJson.Deserialize<ImageStatus>(row.Status));
        });

        id = await ImageArrival.CreateRecordAsync(app, name);
        File.Copy(raw, app.Service<ImageStorage>().ArrivedPath(id));
        await ImageArrival.SetStatusAsync(app, id, new ImageStatus { Phase = ImagePhase.Checking });
        app.Service<IImagePipeline>().Enqueue(id);
        await ImageArrival.ReadyAsync(app, id);
        lock (seen) return [.. seen];
    }

    [Fact]
    public async Task Qcow2Source_IsConvertedAnyway_DroppingWhatAVmShouldNotInherit()
    {
        var source = _dir["with-snapshot.qcow2"];
        File.Copy(TestGuest.ImagePath, source);
        TestImages.QemuImg("snapshot", "-c", "before-upload", source);
        Assert.Contains("before-upload", TestImages.QemuImg("snapshot", "-l", source), StringComparison.Ordinal);

        var id = await ImageArrival.ArriveAsync(_app, "qcow2-with-snapshot", source);
        var status = await ImageArrival.ReadyAsync(_app, id);

        Assert.Equal(SourceFormat.Qcow2, status.SourceFormat);
        var stored = _app.Service<ImageStorage>().PathFor(id, ImageFormat.Qcow2);
        Assert.DoesNotContain("before-upload", TestImages.QemuImg("snapshot", "-l", stored), StringComparison.Ordinal);
        Assert.Contains("identical", TestImages.QemuImg("compare", "-f", "qcow2", "-F", "qcow2", TestGuest.ImagePath, stored), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Iso_IsKeptAsInstallationMedia()
    {
        var iso = TestImages.Iso(_dir);
        var id = await ImageArrival.ArriveAsync(_app, "installer", iso);

        var status = await ImageArrival.ReadyAsync(_app, id);

        Assert.Equal(ImageFormat.Iso, status.Format);
        Assert.Equal(SourceFormat.Iso, status.SourceFormat);
        Assert.Equal(new FileInfo(iso).Length, status.VirtualSizeBytes);
        Assert.Equal(File.ReadAllBytes(iso), File.ReadAllBytes(_app.Service<ImageStorage>().PathFor(id, ImageFormat.Iso)));
    }

    [Fact]
    public async Task VmFromIso_GetsABlankDiskOfTheDefaultSize_AndTheIsoAsAReadOnlyCdrom()
    {
        var imageId = await ImageArrival.ArriveAsync(_app, "installer-for-vm", TestImages.Iso(_dir));
        await ImageArrival.ReadyAsync(_app, imageId);

        var vmId = await ImageVms.CreateAsync(_app, "from-iso", imageId);
        var domain = await DomainAsync(vmId);

        var disks = domain.Element("devices")!.Elements("disk").ToList();
        // The VM's disk, the installer CD, and last the cloud-init seed CD (on virtio-scsi), in that order so the
        // firmware's CD boot finds the installer first.
        Assert.Equal(3, disks.Count);
        var disk = disks.Single(d => (string?)d.Attribute("device") == "disk");
        var cdroms = disks.Where(d => (string?)d.Attribute("device") == "cdrom").ToList();
        var cdrom = cdroms[0];
        Assert.Equal(_app.Service<ImageStorage>().PathFor(imageId, ImageFormat.Iso), (string?)cdrom.Element("source")!.Attribute("file"));
        Assert.Equal("scsi", (string?)cdroms[1].Element("target")!.Attribute("bus"));
        Assert.EndsWith($"{vmId}.iso", (string?)cdroms[1].Element("source")!.Attribute("file"), StringComparison.Ordinal);
        Assert.Equal("raw", (string?)cdrom.Element("driver")!.Attribute("type"));
        Assert.Equal("sata", (string?)cdrom.Element("target")!.Attribute("bus"));
        Assert.NotNull(cdrom.Element("readonly"));
        Assert.Equal(["hd", "cdrom"], domain.Element("os")!.Elements("boot").Select(b => (string?)b.Attribute("dev")));

        var blank = await QemuImg.InfoAsync((string)disk.Element("source")!.Attribute("file")!, "qcow2", CancellationToken.None);
        Assert.Equal(10L << 30, blank.VirtualSizeBytes);
        Assert.False(blank.HasBacking);
        Assert.Equal(10, await DiskGiBAsync(vmId));
    }

    [Fact]
    public async Task VmFromIso_TakesTheImagesMinimumDisk_AndRefusesLess()
    {
        var imageId = await ImageArrival.ArriveAsync(_app, "installer-20g", TestImages.Iso(_dir), new JsonObject { ["minDiskGiB"] = 20 });
        await ImageArrival.ReadyAsync(_app, imageId);

        var vmId = await ImageVms.CreateAsync(_app, "from-iso-20g", imageId);
        Assert.Equal(20, await DiskGiBAsync(vmId));

        using var tooSmall = await ImageVms.PostAsync(_app, "from-iso-5g", imageId, diskGiB: 5);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooSmall.StatusCode);
        Assert.Contains("needs a disk of at least 20 GiB", await tooSmall.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task VmFromDiskImage_HasTheImagesSize_OrGrowsItsOverlayToDiskGiB()
    {
        var imageId = await ImageArrival.ArriveAsync(_app, "guest-for-sizes", TestImages.Guest(_dir, "vdi"));
        await ImageArrival.ReadyAsync(_app, imageId);

        var asImage = await ImageVms.CreateAsync(_app, "as-image", imageId);
        var grown = await ImageVms.CreateAsync(_app, "grown", imageId, diskGiB: 3);

        Assert.Equal(64L << 20, (await OverlayAsync(asImage)).VirtualSizeBytes);
        Assert.Equal(0, await DiskGiBAsync(asImage));
        var overlay = await OverlayAsync(grown);
        Assert.Equal(3L << 30, overlay.VirtualSizeBytes);
        Assert.Equal(_app.Service<ImageStorage>().PathFor(imageId, ImageFormat.Qcow2), overlay.BackingFilename);
    }

    [Fact]
    public async Task VmFromDiskImage_WithADiskSmallerThanTheImage_IsAValidationError()
    {
        var image = _dir["empty-2g.qcow2"];
        TestImages.QemuImg("create", "-q", "-f", "qcow2", image, "2G");
        var imageId = await ImageArrival.ArriveAsync(_app, "empty-2g", image);
        await ImageArrival.ReadyAsync(_app, imageId);

        using var response = await ImageVms.PostAsync(_app, "shrunk", imageId, diskGiB: 1);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("Image 'empty-2g' is a 2 GiB disk; the VM's disk cannot be smaller. Use 2 GiB or more, or 0 for the image's size.",
            (string?)problem["errors"]!["spec.diskGiB"]![0]);
    }

    [Fact]
    public async Task UefiImage_GivesItsVmsUefiFirmware()
    {
        var imageId = await ImageArrival.ArriveAsync(_app, "uefi-guest", TestImages.Guest(_dir, "raw"), new JsonObject { ["firmware"] = "uefi" });
        await ImageArrival.ReadyAsync(_app, imageId);

        var vmId = await ImageVms.CreateAsync(_app, "uefi-vm", imageId);

        Assert.Equal("efi", (string?)(await DomainAsync(vmId)).Element("os")!.Attribute("firmware"));
    }

    private static async Task<XElement> DomainAsync(Guid vmId)
    {
        var xml = await Eventually.WaitForAsync(() =>
        {
            using var connection = LibvirtConnection.Open(KrautAppFactory.TestDriver);
            using var domain = connection.FindDomain(vmId);
            return Task.FromResult(domain?.GetXml(inactive: true));
        }, TimeSpan.FromSeconds(30), $"the domain of VM {vmId}");
        return XElement.Parse(xml);
    }

    private async Task<QemuImageInfo> OverlayAsync(Guid vmId)
    {
        var path = Path.Combine(_app.DataDirectory, "disks", $"{vmId}.qcow2");
        await Eventually.WaitUntilAsync(() => File.Exists(path), TimeSpan.FromSeconds(30), $"the disk of VM {vmId}");
        return await QemuImg.InfoAsync(path, "qcow2", CancellationToken.None);
    }

    private async Task<int> DiskGiBAsync(Guid vmId)
    {
        using var client = _app.CreateClient();
        var vm = JsonNode.Parse(await client.GetStringAsync($"/api/v1/vms/{vmId}"))!;
        return (int)vm["spec"]!["diskGiB"]!;
    }
}
