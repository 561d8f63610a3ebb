using System.Diagnostics;
using System.Net;
using System.Text.Json;
using KrautPortal.Tests.Integration;
using KrautPortal.Tests.Support;
using Xunit.Abstractions;

namespace KrautPortal.Tests.Images;

public sealed class PipelineBootFixture : IDisposable
{
    public KrautAppFactory App { get; } = new(KrautAppFactory.SystemDriver, seedImage: "guest");

    public void Dispose() => App.Dispose();
}

/// <summary>
/// Every input format through the pipeline and then booted once on real libvirtd + QEMU (TCG here): the test guest
/// converted with qemu-img to each format, pushed through the pipeline, and a VM from the result must print
/// KRAUT-GUEST-READY on its serial console. Also an installer ISO booted from its CD-ROM, and a UEFI image
/// started on OVMF. One guest at a time, each deleted before the next.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class PipelineBootTests(PipelineBootFixture fixture, ITestOutputHelper output) : IClassFixture<PipelineBootFixture>, IDisposable
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(90);
    private readonly KrautAppFactory _app = fixture.App;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("qcow2")]
    [InlineData("raw")]
    [InlineData("vmdk")]
    [InlineData("vhdx")]
    [InlineData("vdi")]
    public async Task EachFormat_ConvertedByThePipeline_Boots(string format)
    {
        var source = TestImages.Guest(_dir, format);

        var clock = Stopwatch.StartNew();
        var imageId = await ImageArrival.ArriveAsync(_app, $"boot-{format}", source);
        var status = await ImageArrival.ReadyAsync(_app, imageId);
        var pipeline = clock.Elapsed;

        Assert.Equal(format, status.SourceFormat.ToString()!.ToLowerInvariant());
        var booted = await BootAsync($"vm-{format}", imageId, TestGuest.ReadyMarker);
        output.WriteLine($"{format}: {new FileInfo(source).Length / 1024} KiB in, arrived to Ready {pipeline.TotalSeconds:0.00} s, created to {TestGuest.ReadyMarker} {booted.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task InstallerIso_BootsFromItsCdrom_WithABlankDisk()
    {
        var iso = BootableIso();
        var imageId = await ImageArrival.ArriveAsync(_app, "boot-iso", iso);
        var status = await ImageArrival.ReadyAsync(_app, imageId);
        Assert.Equal(Features.Images.ImageFormat.Iso, status.Format);

        var booted = await BootAsync("vm-iso", imageId, TestGuest.ReadyMarker);
        output.WriteLine($"iso: created to {TestGuest.ReadyMarker} from the CD-ROM {booted.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task UefiImage_StartsOnUefiFirmware()
    {
        var blank = _dir["blank.raw"];
        using (var file = File.Create(blank)) file.SetLength(64L << 20);
        var imageId = await ImageArrival.ArriveAsync(_app, "boot-uefi", blank, new System.Text.Json.Nodes.JsonObject { ["firmware"] = "uefi" });
        await ImageArrival.ReadyAsync(_app, imageId);

        // OVMF finds nothing to boot on a blank disk and starts its shell, which prints this on the serial console.
        var booted = await BootAsync("vm-uefi", imageId, "UEFI Interactive Shell", withNic: false);
        output.WriteLine($"uefi: created to OVMF's shell {booted.TotalSeconds:0.0} s");
    }

    /// <summary>Creates a VM from the image, waits for <paramref name="marker"/> on its console, and deletes it again.</summary>
    private async Task<TimeSpan> BootAsync(string name, Guid imageId, string marker, bool withNic = true)
    {
        var clock = Stopwatch.StartNew();
        var vmId = await ImageVms.CreateAsync(_app, name, imageId, withNic: withNic);
        var console = Path.Combine(_app.DataDirectory, "consoles", $"{vmId}.log");
        try
        {
            using var watcher = _app.CreateClient();
            DateTime? erringSince = null;
            await Eventually.WaitUntilAsync(async () =>
            {
                if (GuestConsole.Read(console).Contains(marker, StringComparison.Ordinal)) return true;
                // A VM that cannot start (missing firmware, say) keeps failing: say why instead of waiting out the boot
                // time. An error the reconciler clears again within a few seconds is a retry, not a verdict.
                var status = JsonDocument.Parse(await watcher.GetStringAsync($"/api/v1/vms/{vmId}")).RootElement.GetProperty("status");
                var error = status.TryGetProperty("lastError", out var e) ? e.GetString() : null;
                var failed = status.TryGetProperty("phase", out var phase) && phase.GetString() == "failed";
                erringSince = error is null ? null : erringSince ?? DateTime.UtcNow;
                if (failed || DateTime.UtcNow - erringSince > TimeSpan.FromSeconds(10))
                {
                    throw new InvalidOperationException($"{name} did not start instead of printing {marker}: {error}");
                }
                return false;
            }, Boot, $"{marker} on the console of {name}");
            return clock.Elapsed;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Console:\n{GuestConsole.Read(console)}", e);
        }
        finally
        {
            using var client = _app.CreateClient();
            var response = await client.DeleteAsync($"/api/v1/vms/{vmId}");
            Assert.True(response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.NoContent, $"delete gave {response.StatusCode}");
            await Eventually.WaitUntilAsync(async () => (await client.GetAsync($"/api/v1/vms/{vmId}")).StatusCode == HttpStatusCode.NotFound,
                TimeSpan.FromSeconds(30), $"{name} to be deleted");
        }
    }

    /// <summary>An El Torito ISO (isolinux) with the test guest's kernel and initramfs: an installer CD in miniature.</summary>
    private string BootableIso()
    {
        var raw = _dir["guest-for-iso.raw"];
        TestImages.QemuImg("convert", "-f", "qcow2", "-O", "raw", TestGuest.ImagePath, raw);
        var root = Directory.CreateDirectory(_dir["iso-root"]).FullName;
        var isolinux = Directory.CreateDirectory(Path.Combine(root, "isolinux")).FullName;
        // The guest's FAT partition starts at 1 MiB; mtools reads it in place.
        Tool.Run("mcopy", "-i", raw + "@@1048576", "::vmlinuz", "::initrd.gz", root);
        File.WriteAllText(Path.Combine(isolinux, "isolinux.cfg"), Tool.Run("mcopy", "-i", raw + "@@1048576", "::syslinux.cfg", "-") + "\n");
        File.Copy(Tool.PackagedFile("/usr/lib/ISOLINUX/isolinux.bin", "isolinux"), Path.Combine(isolinux, "isolinux.bin"));
        File.Copy(Tool.PackagedFile("/usr/lib/syslinux/modules/bios/ldlinux.c32", "syslinux-common"), Path.Combine(isolinux, "ldlinux.c32"));
        var iso = _dir["guest.iso"];
        Tool.Run("xorriso", "-as", "mkisofs", "-quiet", "-V", "KRAUT_GUEST", "-o", iso,
            "-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat", "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table", root);
        return iso;
    }
}
