using Bunit;
using KrautPortal.Features.Vms.Wizard;
using Range = KrautPortal.Features.MachineTypes.Range;

namespace KrautPortal.Tests.Portal;

public sealed class ParametersStepTests : PortalTestContext
{
    private static VmDraft Draft(int imageMinMemory = 128)
    {
        var draft = new VmDraft { Image = Make.Image("debian", minMemoryMiB: imageMinMemory) };
        draft.ChooseMachineType(Make.MachineType("small", vcpus: new Range(1, 1, 2), memory: new Range(512, 256, 2048)));
        return draft;
    }

    [Fact]
    public void FieldsCarryTheTypesRanges_MemoryFloorIsTheImagesMinimumWhenHigher()
    {
        var cut = Render<ParametersStep>(p => p.Add(x => x.Draft, Draft(imageMinMemory: 384)));

        var vcpus = cut.Find("input[data-testid=param-vcpus]");
        var memory = cut.Find("input[data-testid=param-memory]");
        Assert.Equal(("1", "2", "1"), (vcpus.GetAttribute("min"), vcpus.GetAttribute("max"), vcpus.GetAttribute("value")));
        Assert.Equal(("384", "2048", "512"), (memory.GetAttribute("min"), memory.GetAttribute("max"), memory.GetAttribute("value")));
        Assert.Contains("1–2 allowed by small", cut.Markup);
        Assert.Contains("384–2048 MiB", cut.Markup);
    }

    [Fact]
    public void ValuesWithinTheRange_AreTaken()
    {
        var draft = Draft();
        var changed = 0;
        var cut = Render<ParametersStep>(p => p.Add(x => x.Draft, draft).Add(x => x.Changed, () => changed++));

        cut.Find("input[data-testid=param-vcpus]").Change("2");
        cut.Find("input[data-testid=param-memory]").Change("256");

        Assert.Equal((2, 256), (draft.Vcpus, draft.MemoryMiB));
        Assert.Equal(2, changed);
    }

    [Fact]
    public void ValuesOutsideTheRange_AreClampedToIt()
    {
        var draft = Draft(imageMinMemory: 384);
        var cut = Render<ParametersStep>(p => p.Add(x => x.Draft, draft));

        cut.Find("input[data-testid=param-vcpus]").Change("64");
        cut.Find("input[data-testid=param-memory]").Change("128");

        Assert.Equal((2, 384), (draft.Vcpus, draft.MemoryMiB));
    }

    [Fact]
    public void WithoutAMachineType_AsksForOneFirst()
    {
        var cut = Render<ParametersStep>(p => p.Add(x => x.Draft, new VmDraft()));

        Assert.Empty(cut.FindAll("input"));
        Assert.Contains("Pick a machine type first.", cut.Markup);
    }
}
