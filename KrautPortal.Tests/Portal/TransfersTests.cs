using KrautPortal.Features.Images;
using KrautPortal.Features.Images.Pages;

namespace KrautPortal.Tests.Portal;

public sealed class TransfersTests
{
    [Theory]
    [InlineData(0, 100, 0)]
    [InlineData(999, 1000, 99)] // never 100 % before the last byte
    [InlineData(1000, 1000, 100)]
    [InlineData(5, 0, 0)]
    public void Percent_RoundsDown(long done, long total, int expected) => Assert.Equal(expected, Transfers.Percent(done, total));

    [Theory]
    [InlineData(10L << 20, 1 << 20, "10 s left")]
    [InlineData(200L << 20, 1 << 20, "3 min 20 s left")]
    [InlineData(2000L << 20, 1 << 20, "33 min left")]
    [InlineData(4000L << 20, 1 << 20, "1 h 6 min left")]
    [InlineData(1L << 20, 0.5, null)] // stalled: no guess
    [InlineData(0L, 1 << 20, null)]
    public void TimeLeft_ReadsLikeAPersonWouldSayIt(long remaining, double speed, string? expected) =>
        Assert.Equal(expected, Transfers.TimeLeft(remaining, speed));

    [Fact]
    public void Speed_UsesThePortalsBinaryUnits() => Assert.Equal("48.2 MiB/s", Transfers.Speed(48.2 * (1 << 20)));

    [Theory]
    [InlineData("debian-12-genericcloud-amd64.qcow2", "debian-12-genericcloud-amd64")]
    [InlineData("C:\\fakepath\\disk.VMDK", "disk")]
    [InlineData("ubuntu.img.xz", "ubuntu.img.xz")] // not a disk image's extension: kept, the server says what it is
    [InlineData(".qcow2", ".qcow2")]
    public void NameFromFile_DropsTheDiskImageExtension(string file, string expected) => Assert.Equal(expected, Transfers.NameFromFile(file));

    [Fact]
    public void NameFromFile_FitsTheNameLimit()
    {
        var name = Transfers.NameFromFile(new string('a', 100) + ".iso");
        Assert.Equal(Features.Store.ResourceNames.MaxLength, name.Length);
        Assert.Null(Features.Store.ResourceNames.Problem(name));
    }

    [Theory]
    [InlineData("debian-12-genericcloud-arm64.qcow2", "aarch64")]
    [InlineData("Fedora-Cloud-Base-AARCH64.raw", "aarch64")]
    [InlineData("alpine-virt-x86_64.iso", "x86_64")]
    [InlineData("disk.vmdk", "x86_64")]
    public void ArchitectureFromFile_ReadsCloudImageNames(string file, string expected) => Assert.Equal(expected, Transfers.ArchitectureFromFile(file));

    [Fact]
    public void PhaseText_UsesReceivedBytes_WhenTheServerGivesNoPercent()
    {
        Assert.Equal("uploading 25 %", Transfers.PhaseText(new ImageStatus { Phase = ImagePhase.Uploading, BytesReceived = 25, BytesExpected = 100 }));
        Assert.Equal("checking", Transfers.PhaseText(new ImageStatus { Phase = ImagePhase.Checking }));
        Assert.Equal("awaiting content", Transfers.PhaseText(new ImageStatus()));
        Assert.Equal("ready", Transfers.PhaseText(new ImageStatus { Phase = ImagePhase.Ready, Progress = 100 }));
    }

    [Fact]
    public void Explain_PrefersTheServersOwnWords_AndTellsAnIsoIsNotForTheWizard()
    {
        Assert.Equal("The image store is out of space; converting again once there is room.",
            Transfers.Explain(new ImageStatus { Phase = ImagePhase.Converting, Message = "The image store is out of space; converting again once there is room." }, ImageFormat.Qcow2));
        Assert.Equal("Converting vmdk to qcow2…", Transfers.Explain(new ImageStatus { Phase = ImagePhase.Converting, SourceFormat = SourceFormat.Vmdk }, ImageFormat.Qcow2));
        Assert.StartsWith("Ready as installation media", Transfers.Explain(new ImageStatus { Phase = ImagePhase.Ready, Format = ImageFormat.Iso }, ImageFormat.Qcow2), StringComparison.Ordinal);
        Assert.Equal("Ready: pick it when you create a VM.", Transfers.Explain(new ImageStatus { Phase = ImagePhase.Ready, Format = ImageFormat.Raw }, ImageFormat.Raw));
    }
}
