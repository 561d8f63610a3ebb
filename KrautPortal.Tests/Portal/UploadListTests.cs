using Bunit;
using KrautPortal.Features.Images;
using KrautPortal.Features.Images.Pages;
using KrautPortal.Features.MachineTypes;

namespace KrautPortal.Tests.Portal;

/// <summary>The transfer list renders progress, speed and time left from the numbers it is given, and each state's actions.</summary>
public sealed class UploadListTests : PortalTestContext
{
    private const long MiB = 1 << 20;

    [Fact]
    public void Uploading_ShowsPercentAmountSpeedAndTimeLeft()
    {
        var entry = Entry(UploadState.Uploading, size: 100 * MiB, sent: 25 * MiB, speed: 5 * MiB);

        var cut = RenderList(entry);

        Assert.Equal("25 %", cut.Find("[data-testid=upload-percent]").TextContent);
        Assert.Contains("25 MiB of 100 MiB", cut.Find("[data-testid=upload-numbers]").TextContent, StringComparison.Ordinal);
        Assert.Equal("5 MiB/s", cut.Find("[data-testid=upload-speed]").TextContent);
        Assert.Equal("15 s left", cut.Find("[data-testid=upload-eta]").TextContent);
        Assert.Equal("uploading", cut.Find("[data-testid=upload-row]").GetAttribute("data-state"));
        Assert.Contains("translateX(-75%)", cut.Find("[data-testid=upload-progress] .mud-progress-linear-bar").GetAttribute("style"), StringComparison.Ordinal);
        Assert.NotNull(cut.Find("[data-testid=upload-cancel]"));
        Assert.Empty(cut.FindAll("[data-testid=upload-resume]"));
    }

    [Fact]
    public void Uploading_BeforeAnySpeedIsKnown_SaysStarting_AndGuessesNoTime()
    {
        var cut = RenderList(Entry(UploadState.Uploading, size: 100 * MiB, sent: 0, speed: 0));

        Assert.Contains("starting…", cut.Find("[data-testid=upload-numbers]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=upload-eta]"));
    }

    [Fact]
    public void EveryByteSent_WaitsForTheServer_InsteadOfShowingZeroTimeLeft()
    {
        var cut = RenderList(Entry(UploadState.Uploading, size: 100 * MiB, sent: 100 * MiB, speed: 30 * MiB));

        Assert.Equal("100 %", cut.Find("[data-testid=upload-percent]").TextContent);
        Assert.Contains("waiting for the server to confirm", cut.Markup);
        Assert.Empty(cut.FindAll("[data-testid=upload-eta]"));
    }

    [Fact]
    public void Interrupted_OffersResume_AndSaysWhy()
    {
        var entry = Entry(UploadState.Interrupted, size: 100 * MiB, sent: 40 * MiB, speed: 0);
        entry.CanResume = true;
        entry.Message = "The connection to the server was lost. Resume goes on where it stopped.";
        UploadEntry? resumed = null;

        var cut = RenderList(entry, resume: e => resumed = e);
        cut.Find("[data-testid=upload-resume]").Click();

        Assert.Same(entry, resumed);
        Assert.Equal("Resume", cut.Find("[data-testid=upload-resume]").TextContent.Trim());
        Assert.Equal(entry.Message, cut.Find("[data-testid=upload-message]").TextContent);
        Assert.Equal("40 %", cut.Find("[data-testid=upload-percent]").TextContent);
    }

    [Fact]
    public void Failed_ShowsTheServersSentence_AndRetryOnlyWhileTheFileIsThere()
    {
        var entry = Entry(UploadState.Failed, size: 100 * MiB, sent: 10 * MiB, speed: 0);
        entry.Message = "The image storage has 2 GiB free and keeps 1 GiB of that in reserve, so it cannot take 90 MiB more.";

        var cut = RenderList(entry);

        Assert.Equal(entry.Message, cut.Find("[data-testid=upload-message]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=upload-resume]"));
        Assert.NotNull(cut.Find("[data-testid=upload-cancel]"));
        entry.CanResume = true;
        Rerender(cut, entry);
        Assert.Equal("Retry", cut.Find("[data-testid=upload-resume]").TextContent.Trim());
    }

    [Fact]
    public void Staged_ShowsTheSmallForm_AndUploadAllCountsTheFiles()
    {
        var a = Entry(UploadState.Staged, size: 3 * MiB, sent: 0, speed: 0);
        var b = Entry(UploadState.Staged, size: 5 * MiB, sent: 0, speed: 0, name: "alpine", arch: Architectures.Aarch64);
        var startedAll = 0;

        var cut = RenderWithPopovers(b2 =>
        {
            b2.OpenComponent<UploadList>(0);
            b2.AddAttribute(1, nameof(UploadList.Entries), new[] { a, b });
            b2.AddAttribute(2, nameof(UploadList.StartAll), Microsoft.AspNetCore.Components.EventCallback.Factory.Create(this, () => startedAll++));
            b2.CloseComponent();
        });

        Assert.Equal(2, cut.FindAll("[data-testid=upload-name-input]").Count);
        Assert.Equal("alpine", cut.FindAll("[data-testid=upload-name-input]")[1].GetAttribute("value"));
        Assert.Equal("aarch64", cut.FindAll("[data-testid=upload-arch]")[1].TextContent);
        Assert.Equal("Upload all 2", cut.Find("[data-testid=upload-all]").TextContent.Trim());
        cut.Find("[data-testid=upload-all]").Click();
        Assert.Equal(1, startedAll);
        Assert.Empty(cut.FindAll("[data-testid=upload-progress]"));
    }

    [Fact]
    public void WithTheServer_ShowsTheImagesPhase_ConvertingWithProgress_ThenReady()
    {
        var entry = Entry(UploadState.WithServer, size: 100 * MiB, sent: 100 * MiB, speed: 0);
        entry.Image = Make.Image("debian") with { Status = new ImageStatus { Phase = ImagePhase.Converting, Progress = 45, SourceFormat = SourceFormat.Vmdk } };

        var cut = RenderList(entry);

        Assert.Equal("converting", cut.Find("[data-testid=upload-row]").GetAttribute("data-state"));
        Assert.Equal("converting 45 %", cut.Find("[data-testid=image-phase]").TextContent.Trim());
        Assert.Contains("Converting vmdk to qcow2", cut.Find("[data-testid=upload-message]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=upload-cancel]"));
        Assert.Empty(cut.FindAll("[data-testid=upload-dismiss]"));

        entry.Image = entry.Image with { Status = new ImageStatus { Phase = ImagePhase.Ready, Format = ImageFormat.Qcow2 } };
        Rerender(cut, entry);
        Assert.Equal("ready", cut.Find("[data-testid=upload-row]").GetAttribute("data-state"));
        Assert.Contains("Ready: pick it when you create a VM.", cut.Find("[data-testid=upload-message]").TextContent);
        Assert.Equal("vms/new", cut.Find("[data-testid=upload-message] a").GetAttribute("href"));
        Assert.NotNull(cut.Find("[data-testid=upload-dismiss]"));
    }

    [Fact]
    public void WithTheServer_Failed_ShowsTheImagesReasonInWords()
    {
        var entry = Entry(UploadState.WithServer, size: 1 * MiB, sent: 1 * MiB, speed: 0);
        entry.Image = Make.Image("broken") with { Status = new ImageStatus { Phase = ImagePhase.Failed, Message = "The file is not a disk image Kraut knows." } };

        var cut = RenderList(entry);

        Assert.Equal("failed", cut.Find("[data-testid=upload-row]").GetAttribute("data-state"));
        Assert.Equal("The file is not a disk image Kraut knows.", cut.Find("[data-testid=upload-message]").TextContent.Trim());
    }

    [Fact]
    public void AnImportBeingDownloaded_ShowsItsBytes_AndCanBeCancelled()
    {
        var entry = new UploadEntry { Key = "import-1", Source = "https://example.org/debian.qcow2", IsImport = true, Name = "debian", State = UploadState.WithServer };
        entry.Image = Make.Image("debian") with
        {
            Status = new ImageStatus { Phase = ImagePhase.Downloading, BytesReceived = 300 * MiB, BytesExpected = 600 * MiB, SourceUrl = "https://example.org/debian.qcow2" },
        };

        var cut = RenderList(entry);

        Assert.Equal("downloading 50 %", cut.Find("[data-testid=image-phase]").TextContent.Trim());
        Assert.Contains("300 MiB of 600 MiB", cut.Find("[data-testid=upload-message]").TextContent);
        Assert.NotNull(cut.Find("[data-testid=upload-cancel]"));
    }

    private IRenderedComponent<Bunit.Rendering.ContainerFragment> RenderList(UploadEntry entry, Action<UploadEntry>? resume = null) =>
        RenderWithPopovers(b =>
        {
            b.OpenComponent<UploadList>(0);
            b.AddAttribute(1, nameof(UploadList.Entries), new[] { entry });
            if (resume is not null) b.AddAttribute(2, nameof(UploadList.Resume), Microsoft.AspNetCore.Components.EventCallback.Factory.Create(this, resume));
            b.CloseComponent();
        });

    private static void Rerender(IRenderedComponent<Bunit.Rendering.ContainerFragment> cut, UploadEntry entry) =>
        cut.FindComponent<UploadList>().Render(p => p.Add(x => x.Entries, new[] { entry }));

    private static UploadEntry Entry(UploadState state, long size, long sent, double speed, string name = "debian", string arch = Architectures.X86_64) => new()
    {
        Key = Guid.NewGuid().ToString("N"),
        Source = name + ".qcow2",
        Name = name,
        Architecture = arch,
        Size = size,
        BytesSent = sent,
        BytesPerSecond = speed,
        State = state,
        ImageId = state == UploadState.Staged ? null : Guid.NewGuid(),
    };
}
