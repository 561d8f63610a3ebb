using Bunit;
using KrautPortal.Components.Shared;
using KrautPortal.Features.Images;
using KrautPortal.Features.Images.Pages;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Vms;
using MudBlazor;

namespace KrautPortal.Tests.Portal;

/// <summary>One chip for every kind's phase: the common rule by the phase's name, and a kind's own look where it has one.</summary>
public sealed class PhaseChipTests : PortalTestContext
{
    [Theory]
    [InlineData(VmPhase.Running, "running", Color.Success)]
    [InlineData(VmPhase.Stopped, "stopped", Color.Default)]
    [InlineData(VmPhase.Crashed, "crashed", Color.Error)]
    [InlineData(VmPhase.Paused, "paused", Color.Warning)]
    [InlineData(VmPhase.Starting, "starting", Color.Info)]
    public void VmPhase_ShowsAsBefore(VmPhase phase, string text, Color color)
    {
        var cut = Render<PhaseChip>(p => p.Add(c => c.Phase, phase));

        Assert.Equal(text, cut.Find("[data-testid=vm-phase]").TextContent);
        Assert.Equal(color, cut.FindComponent<MudChip<string>>().Instance.Color);
    }

    [Theory]
    [InlineData(NetworkPhase.Active, "active", Color.Success)]
    [InlineData(NetworkPhase.Pending, "pending", Color.Info)]
    [InlineData(NetworkPhase.Failed, "failed", Color.Error)]
    public void NetworkPhase_GetsTheCommonRule_WithItsOwnTestId(NetworkPhase phase, string text, Color color)
    {
        var cut = Render<PhaseChip>(p => p.Add(c => c.Phase, phase));

        Assert.Equal(text, cut.Find("[data-testid=network-phase]").TextContent);
        Assert.Equal(color, cut.FindComponent<MudChip<string>>().Instance.Color);
    }

    [Fact]
    public void EveryPhaseOfEveryKind_HasWordsAColourAndAnIcon()
    {
        Enum[] phases = [.. Enum.GetValues<VmPhase>().Cast<Enum>(), .. Enum.GetValues<ImagePhase>().Cast<Enum>(), .. Enum.GetValues<NetworkPhase>().Cast<Enum>()];

        foreach (var phase in phases)
        {
            var look = PhaseLook.For(phase);
            Assert.False(string.IsNullOrWhiteSpace(look.Icon), phase.ToString());
            Assert.Equal(phase.ToString().ToLowerInvariant(), look.Text.Replace(" ", "", StringComparison.Ordinal));
            Assert.EndsWith("-phase", look.TestId, StringComparison.Ordinal);
        }
        Assert.Equal("awaiting content", PhaseLook.For(ImagePhase.AwaitingContent).Text);
    }

    [Fact]
    public void ImagePhase_ShowsItsProgress_ThroughTheImagesOwnLook()
    {
        var status = new ImageStatus { Phase = ImagePhase.Converting, Progress = 45 };

        var cut = Render<PhaseChip>(p => p.Add(c => c.Look, ImagePhaseLook.For(status)));

        Assert.Equal("converting 45 %", cut.Find("[data-testid=image-phase]").TextContent);
        Assert.Equal(Color.Info, cut.FindComponent<MudChip<string>>().Instance.Color);
        Assert.Empty(cut.FindComponents<MudTooltip>());
    }

    [Fact]
    public void FailedImage_GivesItsReasonOnHover()
    {
        var status = new ImageStatus { Phase = ImagePhase.Failed, Message = "Not a disk image." };

        var cut = Render<PhaseChip>(p => p.Add(c => c.Look, ImagePhaseLook.For(status)));

        Assert.Equal("failed", cut.Find("[data-testid=image-phase]").TextContent);
        Assert.Equal(Color.Error, cut.FindComponent<MudChip<string>>().Instance.Color);
        Assert.Equal("Not a disk image.", cut.FindComponent<MudTooltip>().Instance.Text);
    }

    [Fact]
    public void ReadyImageWithWarnings_IsAWarning_AndSaysWhy()
    {
        var status = new ImageStatus { Phase = ImagePhase.Ready, Warnings = ["No partition table.", "Odd size."] };

        var look = ImagePhaseLook.For(status);

        Assert.Equal("ready (with warnings)", look.Text);
        Assert.Equal(Color.Warning, look.Color);
        Assert.Equal(Icons.Material.Filled.Warning, look.Icon);
        Assert.Equal("No partition table. Odd size.", look.Hover);
    }
}
