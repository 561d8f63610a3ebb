using System.Text;
using KrautPortal.Features.Images;
using KrautPortal.Features.Images.Pipeline;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Images;

/// <summary>Content qemu reads fine but no VM boots from becomes a ready image with warnings, not a plain "ready" disk.</summary>
public sealed class BootWarningTests(PipelineFixture fixture) : IClassFixture<PipelineFixture>, IDisposable
{
    private readonly KrautAppFactory _app = fixture.App;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string NoBootSector = "The disk has no boot sector and no partition table";

    [Fact]
    public async Task ARandom4KiBFile_IsReady_WithATooSmallAndANoBootSectorWarning()
    {
        var path = _dir["random.img"];
        await File.WriteAllBytesAsync(path, RandomWithout55Aa(4096));

        var status = await ImageArrival.ReadyAsync(_app, await ImageArrival.ArriveAsync(_app, "random-4k", path));

        Assert.Equal(4096, status.VirtualSizeBytes);
        Assert.Equal(2, status.Warnings.Count);
        Assert.StartsWith("The disk is only 4 KiB: too small for any operating system.", status.Warnings[0], StringComparison.Ordinal);
        Assert.StartsWith(NoBootSector, status.Warnings[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ALargeQcow2WithoutBootSector_IsWarnedAbout_ReadThroughTheQcow2()
    {
        var raw = _dir["data.raw"];
        await File.WriteAllBytesAsync(raw, RandomWithout55Aa(2 << 20));
        var qcow2 = _dir["data.qcow2"];
        TestImages.QemuImg("convert", "-f", "raw", "-O", "qcow2", raw, qcow2);

        var status = await ImageArrival.ReadyAsync(_app, await ImageArrival.ArriveAsync(_app, "data-disk", qcow2));

        Assert.StartsWith(NoBootSector, Assert.Single(status.Warnings), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("qcow2")]
    [InlineData("raw")]
    public async Task TheBootableTestGuest_HasNoWarnings(string format)
    {
        var status = await ImageArrival.ReadyAsync(_app, await ImageArrival.ArriveAsync(_app, "guest-" + format, TestImages.Guest(_dir, format)));

        Assert.Empty(status.Warnings);
    }

    [Fact]
    public async Task AnInstallerIso_HasNoBootSectorWarning()
    {
        var status = await ImageArrival.ReadyAsync(_app, await ImageArrival.ArriveAsync(_app, "iso", TestImages.Iso(_dir)));

        Assert.DoesNotContain(status.Warnings, w => w.StartsWith(NoBootSector, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(512)]
    [InlineData(4096)]
    public void AGptHeader_CountsAsAPartitionTable(int at)
    {
        var head = new byte[BootChecks.HeadBytes];
        Encoding.ASCII.GetBytes("EFI PART").CopyTo(head, at);

        Assert.Empty(BootChecks.Warnings(head, isIso: false, 2L << 30));
    }

    [Fact]
    public void AnMbrSignature_CountsAsABootSector_AndOneMiBIsNotTooSmall()
    {
        var head = new byte[BootChecks.HeadBytes];
        (head[510], head[511]) = (0x55, 0xAA);

        Assert.Empty(BootChecks.Warnings(head, isIso: false, BootChecks.MinBootableBytes));
        Assert.Single(BootChecks.Warnings(head, isIso: false, BootChecks.MinBootableBytes - 1));
        Assert.Single(BootChecks.Warnings(new byte[BootChecks.HeadBytes], isIso: false, BootChecks.MinBootableBytes));
    }

    /// <summary>Random bytes that cannot be an MBR or GPT by chance (nor any format the sniffer knows: it starts with zeros).</summary>
    private static byte[] RandomWithout55Aa(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        Array.Clear(bytes, 0, 16);
        Array.Clear(bytes, 0x40, 4);
        (bytes[510], bytes[511]) = (0, 0);
        if (length > 4104) Array.Clear(bytes, 4096, 8);
        return bytes;
    }
}
