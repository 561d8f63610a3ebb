using Bunit;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Vms.Wizard;
using Range = KrautPortal.Features.MachineTypes.Range;

namespace KrautPortal.Tests.Portal;

public sealed class MachineTypeStepTests : PortalTestContext
{
    [Fact]
    public void OffersOnlyTypesThatFitTheImage_AndSaysHowManyAreHidden()
    {
        var draft = new VmDraft { Image = Make.Image("ubuntu", minMemoryMiB: 1024) };
        var types = new[]
        {
            Make.MachineType("small", memory: new Range(512, 256, 2048)),
            Make.MachineType("tiny", memory: new Range(256, 128, 512)),
            Make.MachineType("arm-small", Architectures.Aarch64, memory: new Range(1024, 512, 4096)),
            Make.MachineType("medium", vcpus: new Range(2, 1, 4), memory: new Range(2048, 1024, 8192)),
        };

        var cut = Render<MachineTypeStep>(p => p.Add(x => x.Draft, draft).Add(x => x.MachineTypes, types));

        var offered = cut.FindAll(".mud-radio b").Select(b => b.TextContent).ToList();
        Assert.Equal(["small", "medium"], offered);
        Assert.Contains("2 machine type(s) hidden", cut.Markup);
    }

    [Fact]
    public void NothingHidden_SaysNothingAboutHiddenTypes()
    {
        var draft = new VmDraft { Image = Make.Image("debian") };
        var cut = Render<MachineTypeStep>(p => p.Add(x => x.Draft, draft).Add(x => x.MachineTypes, new[] { Make.MachineType("small") }));

        Assert.Single(cut.FindAll("[data-testid=machine-type-option]"));
        Assert.DoesNotContain("type(s) hidden", cut.Markup);
    }

    [Fact]
    public void Choosing_SetsTheTypesDefaults_WithMemoryRaisedToTheImagesMinimum()
    {
        var draft = new VmDraft { Image = Make.Image("ubuntu", minMemoryMiB: 1024) };
        var small = Make.MachineType("small", vcpus: new Range(1, 1, 2), memory: new Range(512, 256, 2048));
        var medium = Make.MachineType("medium", vcpus: new Range(2, 1, 4), memory: new Range(2048, 1024, 8192));
        var changed = 0;
        var cut = Render<MachineTypeStep>(p => p.Add(x => x.Draft, draft).Add(x => x.MachineTypes, new[] { small, medium }).Add(x => x.Changed, () => changed++));

        cut.FindAll("[data-testid=machine-type-option]")[0].Click();
        Assert.Same(small, draft.MachineType);
        Assert.Equal((1, 1024), (draft.Vcpus, draft.MemoryMiB));

        cut.FindAll("[data-testid=machine-type-option]")[1].Click();
        Assert.Same(medium, draft.MachineType);
        Assert.Equal((2, 2048), (draft.Vcpus, draft.MemoryMiB));
        Assert.Equal(2, changed);
    }

    [Fact]
    public void NoTypeFits_SaysSo()
    {
        var draft = new VmDraft { Image = Make.Image("alpine-arm", Architectures.Aarch64) };
        var cut = Render<MachineTypeStep>(p => p.Add(x => x.Draft, draft).Add(x => x.MachineTypes, new[] { Make.MachineType("small") }));

        Assert.Contains("No machine type fits alpine-arm (aarch64)", cut.Find(".mud-alert").TextContent);
        Assert.Contains("1 machine type(s) hidden", cut.Markup);
    }
}
