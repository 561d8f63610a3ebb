using System.Text.Json.Nodes;
using Bunit;
using KrautPortal.Features.Images;
using KrautPortal.Features.Images.Pages;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Portal;

/// <summary>The Images list and detail pages on real services: the empty state, phases followed live, the attributes form.</summary>
public sealed class ImagePagesTests : OwnPortalTestContext
{
    public ImagePagesTests() : base(new KrautAppFactory(seedImage: null))
    {
    }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public void EmptyList_InvitesADropOrAnImport()
    {
        var cut = RenderWithPopovers(b => { b.OpenComponent<ImageList>(0); b.CloseComponent(); });

        cut.WaitForAssertion(() => Assert.Contains("No images yet", cut.Find("[data-testid=empty-state]").TextContent, StringComparison.Ordinal), Wait);
        var empty = cut.Find("[data-testid=empty-state]");
        Assert.Contains("Drop a disk image", empty.TextContent, StringComparison.Ordinal);
        // The script opens the file dialog for any element marked data-kraut-choose.
        Assert.NotNull(empty.QuerySelector("[data-testid=empty-choose-files][data-kraut-choose]"));
        Assert.NotNull(empty.QuerySelector("[data-testid=empty-import-url]"));
        Assert.DoesNotContain("not in this version", cut.Markup, StringComparison.Ordinal);
        // The drop zone and its hidden input are there from the first render; files never pass through Blazor.
        Assert.Equal("file", cut.Find("[data-testid=file-input]").GetAttribute("type"));
        Assert.True(cut.Find("[data-testid=file-input]").HasAttribute("multiple"));
    }

    [Fact]
    public async Task List_FollowsAnImageThroughItsPhases_WithoutReloading()
    {
        var image = await CreateImageAsync("arriving");
        var cut = RenderWithPopovers(b => { b.OpenComponent<ImageList>(0); b.CloseComponent(); });
        cut.WaitForAssertion(() => Assert.Equal("awaiting content", Phase(cut)), Wait);

        await SetStatusAsync(image.Id, new ImageStatus { Phase = ImagePhase.Uploading, BytesReceived = 30 << 20, BytesExpected = 120 << 20 });
        cut.WaitForAssertion(() => Assert.Equal("uploading 25 %", Phase(cut)), Wait);
        Assert.Contains("30 MiB of 120 MiB", cut.Find("[data-testid=resource-table] tbody").TextContent, StringComparison.Ordinal);

        await SetStatusAsync(image.Id, new ImageStatus { Phase = ImagePhase.Converting, Progress = 40, SourceFormat = SourceFormat.Vmdk });
        cut.WaitForAssertion(() => Assert.Equal("converting 40 %", Phase(cut)), Wait);

        await SetStatusAsync(image.Id, new ImageStatus
        {
            Phase = ImagePhase.Ready, Format = ImageFormat.Qcow2, SourceFormat = SourceFormat.Vmdk, VirtualSizeBytes = 2L << 30, ActualSizeBytes = 300 << 20,
        });
        cut.WaitForAssertion(() => Assert.Equal("ready", Phase(cut)), Wait);
        var row = cut.Find("[data-testid=resource-table] tbody tr").TextContent;
        Assert.Contains("qcow2 (from vmdk)", row, StringComparison.Ordinal);
        Assert.Contains("2 GiB (300 MiB on disk)", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Detail_ShowsWhatWasBroughtAndStored_AndAFailureInWords()
    {
        var image = await CreateImageAsync("details");
        await SetStatusAsync(image.Id, new ImageStatus
        {
            Phase = ImagePhase.Failed, SourceFormat = SourceFormat.Vhdx, Sha256 = new string('a', 64),
            Message = "The image has a backing file; upload a standalone image.",
        });

        var cut = RenderWithPopovers(b => { b.OpenComponent<ImageDetail>(0); b.AddAttribute(1, nameof(ImageDetail.Id), image.Id); b.CloseComponent(); });

        cut.WaitForAssertion(() => Assert.Contains("has a backing file", cut.Find("[data-testid=image-failed]").TextContent, StringComparison.Ordinal), Wait);
        Assert.Equal("vhdx", cut.Find("[data-testid=image-source-format]").TextContent);
        Assert.Equal("—", cut.Find("[data-testid=image-format]").TextContent);
        Assert.Contains(new string('a', 64), cut.Markup, StringComparison.Ordinal);
        Assert.Equal("failed", cut.Find("[data-testid=image-phase]").TextContent.Trim());
        // A failed image takes no new content: no drop zone.
        Assert.Empty(cut.FindAll("[data-testid=drop-zone]"));
    }

    [Fact]
    public async Task Detail_AReadyImageWithWarnings_ShowsThem_AndItsSizeInKiB()
    {
        var image = await CreateImageAsync("random-4k");
        const string warning = "The disk is only 4 KiB: too small for any operating system. It may not be the file you meant to upload.";
        await SetStatusAsync(image.Id, new ImageStatus
        {
            Phase = ImagePhase.Ready, Format = ImageFormat.Qcow2, SourceFormat = SourceFormat.Raw, VirtualSizeBytes = 4096, Warnings = [warning],
        });

        var cut = RenderWithPopovers(b => { b.OpenComponent<ImageDetail>(0); b.AddAttribute(1, nameof(ImageDetail.Id), image.Id); b.CloseComponent(); });

        cut.WaitForAssertion(() => Assert.Contains(warning, cut.Find("[data-testid=image-warnings]").TextContent, StringComparison.Ordinal), Wait);
        Assert.Equal("ready (with warnings)", cut.Find("[data-testid=image-phase]").TextContent.Trim());
        Assert.Contains("4 KiB", cut.Find("table").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Detail_AnImageWaitingForContent_OffersADropZoneForOneFile()
    {
        var image = await CreateImageAsync("empty");

        var cut = RenderWithPopovers(b => { b.OpenComponent<ImageDetail>(0); b.AddAttribute(1, nameof(ImageDetail.Id), image.Id); b.CloseComponent(); });

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=drop-zone]")), Wait);
        Assert.False(cut.Find("[data-testid=file-input]").HasAttribute("multiple"));
        Assert.Equal("Choose file", cut.Find("[data-testid=choose-files]").TextContent.Trim());
    }

    [Fact]
    public async Task EditForm_SavesTheAttributes_AndKeepsWhatIsTypedWhileTheStatusMoves()
    {
        var image = await CreateImageAsync("editable");
        await SetStatusAsync(image.Id, new ImageStatus { Phase = ImagePhase.Converting, Progress = 10 });
        var cut = RenderWithPopovers(b => { b.OpenComponent<ImageForm>(0); b.AddAttribute(1, nameof(ImageForm.Existing), image); b.CloseComponent(); });

        cut.Find("[data-testid=image-os]").Change("Debian 12");
        cut.Find("[data-testid=image-min-memory]").Change("512");
        cut.Find("[data-testid=image-min-disk]").Change("4");
        // The detail page hands the form a fresh object on every status change; same version, so the edits stay.
        var fresher = image with { Status = new ImageStatus { Phase = ImagePhase.Converting, Progress = 60 } };
        cut.FindComponent<ImageForm>().Render(p => p.Add(x => x.Existing, fresher));
        Assert.Equal("Debian 12", cut.Find("[data-testid=image-os]").GetAttribute("value"));

        cut.Find("[data-testid=image-save]").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=form-errors]")), Wait);
        var saved = await Services.GetRequiredService<ResourceService<ImageSpec, ImageStatus>>().GetAsync(image.Id, CancellationToken.None);
        Assert.Equal("Debian 12", saved.Spec.OsName);
        Assert.Equal(512, saved.Spec.MinMemoryMiB);
        Assert.Equal(4, saved.Spec.MinDiskGiB);
        Assert.Equal(Architectures.X86_64, saved.Spec.Architecture);
        Assert.Equal(2, saved.Version);
    }

    private static string Phase(IRenderedComponent<Bunit.Rendering.ContainerFragment> cut) =>
        cut.Find("[data-testid=resource-table] [data-testid=image-phase]").TextContent.Trim();

    private Task<Resource<ImageSpec, ImageStatus>> CreateImageAsync(string name) =>
        Services.GetRequiredService<ResourceService<ImageSpec, ImageStatus>>()
            .CreateAsync(new ResourceInput<ImageSpec>(name, new JsonObject(), new ImageSpec()), CancellationToken.None);

    /// <summary>What the upload and pipeline code write as they go.</summary>
    private Task SetStatusAsync(Guid id, ImageStatus status) =>
        Services.GetRequiredService<ResourceStore>().SetStatusAsync(Kinds.Images.Name, id, KrautJson.Serialize(status), CancellationToken.None);
}
