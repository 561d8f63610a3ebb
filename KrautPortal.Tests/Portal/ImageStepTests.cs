using Bunit;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Vms.Wizard;

namespace KrautPortal.Tests.Portal;

public sealed class ImageStepTests : PortalTestContext
{
    [Fact]
    public void ListsExactlyTheImagesGiven()
    {
        var images = new[] { Make.Image("debian-12"), Make.Image("alpine-arm", Architectures.Aarch64) };

        var cut = Render<ImageStep>(p => p.Add(x => x.Draft, new VmDraft()).Add(x => x.Images, images));

        var options = cut.FindAll("[data-testid=image-option]");
        Assert.Equal(2, options.Count);
        var labels = cut.FindAll(".mud-radio").Select(l => l.TextContent).ToList();
        Assert.Contains("debian-12", labels[0]);
        Assert.Contains("x86_64", labels[0]);
        Assert.Contains("alpine-arm", labels[1]);
        Assert.Contains("aarch64", labels[1]);
    }

    [Fact]
    public void DescribesADiskImage_AnInstallerIso_AndUefi()
    {
        var images = new[]
        {
            Make.Image("debian-12"),
            Make.Image("debian-installer", format: Features.Images.ImageFormat.Iso),
            Make.Image("fedora-uefi", firmware: Features.Images.Firmware.Uefi),
        };

        var cut = Render<ImageStep>(p => p.Add(x => x.Draft, new VmDraft()).Add(x => x.Images, images));

        var labels = cut.FindAll(".mud-radio").Select(l => l.TextContent).ToList();
        Assert.Contains("· 1 GiB disk", labels[0]);
        Assert.DoesNotContain("UEFI", labels[0]);
        Assert.Contains("· installer ISO (600 MiB)", labels[1]);
        Assert.Contains("· UEFI", labels[2]);
    }

    [Fact]
    public void ImagesWithWarnings_AreHiddenUntilAsked_ThenShowTheirWarningAndSizeInKiB()
    {
        var good = Make.Image("debian-12");
        var bogus = Make.Image("random-4k") with
        {
            Status = good.Status with { VirtualSizeBytes = 4096, Warnings = ["The disk is only 4 KiB: too small for any operating system."] },
        };

        var cut = Render<ImageStep>(p => p.Add(x => x.Draft, new VmDraft()).Add(x => x.Images, new[] { good, bogus }));

        Assert.Single(cut.FindAll("[data-testid=image-option]"));
        Assert.DoesNotContain("random-4k", cut.Markup, StringComparison.Ordinal);
        cut.Find("input[data-testid=show-warned-images]").Change(true);

        var labels = cut.FindAll(".mud-radio").Select(l => l.TextContent).ToList();
        Assert.Equal(2, labels.Count);
        Assert.Contains("· 4 KiB disk", labels[1]);
        Assert.Equal("The disk is only 4 KiB: too small for any operating system.", cut.Find("[data-testid=image-option-warning]").TextContent.Trim());
    }

    [Fact]
    public void Choosing_SetsDraftImage_AndClearsAMachineTypeThatNoLongerFits()
    {
        var x86 = Make.Image("debian-12");
        var arm = Make.Image("alpine-arm", Architectures.Aarch64);
        var draft = new VmDraft { Image = x86 };
        draft.ChooseMachineType(Make.MachineType("small"));
        var changed = 0;

        var cut = Render<ImageStep>(p => p.Add(x => x.Draft, draft).Add(x => x.Images, new[] { x86, arm }).Add(x => x.Changed, () => changed++));
        cut.FindAll("[data-testid=image-option]")[1].Click();

        Assert.Same(arm, draft.Image);
        Assert.Null(draft.MachineType);
        Assert.Equal(1, changed);
    }

    [Fact]
    public void Choosing_KeepsAMachineTypeThatStillFits()
    {
        var a = Make.Image("debian-12");
        var b = Make.Image("ubuntu", minMemoryMiB: 1024);
        var draft = new VmDraft { Image = a };
        var small = Make.MachineType("small");
        draft.ChooseMachineType(small);

        var cut = Render<ImageStep>(p => p.Add(x => x.Draft, draft).Add(x => x.Images, new[] { a, b }));
        cut.FindAll("[data-testid=image-option]")[1].Click();

        Assert.Same(b, draft.Image);
        Assert.Same(small, draft.MachineType);
    }

    [Fact]
    public void NoImages_ExplainsWhereToAddOne()
    {
        var cut = Render<ImageStep>(p => p.Add(x => x.Draft, new VmDraft()).Add(x => x.Images, []));

        Assert.Empty(cut.FindAll("[data-testid=image-option]"));
        Assert.Contains("No image is ready yet", cut.Markup);
        Assert.Equal("images", cut.Find(".mud-alert a").GetAttribute("href"));
    }
}
