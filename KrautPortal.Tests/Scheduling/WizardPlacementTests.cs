using Bunit;
using KrautPortal.Features.Scheduling;
using KrautPortal.Features.Vms.Wizard;
using KrautPortal.Tests.Portal;

namespace KrautPortal.Tests.Scheduling;

/// <summary>The wizard's machine-type step says where the VM would go, or why no host can take it, host by host.</summary>
public sealed class WizardPlacementTests : PortalTestContext
{
    [Fact]
    public void ChoosingAType_NoHostFits_ListsEveryHostWithItsReason()
    {
        var refused = new PlacementDecision(null,
        [
            new HostVerdict("qemu+ssh://kvm1/system", "memory", "1.5 GiB free after overcommit and reserve (…), needs 2 GiB", null, null),
            new HostVerdict("qemu+ssh://kvm2/system", "cordoned", "cordoned by an administrator", null, null),
        ]);
        VmDraft? asked = null;
        var draft = new VmDraft { Image = Make.Image("debian") };
        var cut = Render<MachineTypeStep>(p => p.Add(x => x.Draft, draft).Add(x => x.MachineTypes, new[] { Make.MachineType("small") })
            .Add(x => x.Preview, d => { asked = d; return Task.FromResult(refused); }));

        cut.Find("[data-testid=machine-type-option]").Click();

        Assert.Same(draft, asked);
        var alert = cut.Find("[data-testid=placement-refused]");
        Assert.Contains("No host can take a VM of this type now", alert.TextContent);
        var items = cut.FindAll("[data-testid=placement-verdict]").Select(li => li.TextContent).ToList();
        Assert.Equal(["qemu+ssh://kvm1/system — not enough memory: 1.5 GiB free after overcommit and reserve (…), needs 2 GiB",
            "qemu+ssh://kvm2/system — cordoned: cordoned by an administrator"], items);
    }

    [Fact]
    public void ChoosingAType_ThatFits_NamesTheHost()
    {
        var draft = new VmDraft { Image = Make.Image("debian") };
        var cut = Render<MachineTypeStep>(p => p.Add(x => x.Draft, draft).Add(x => x.MachineTypes, new[] { Make.MachineType("small") })
            .Add(x => x.Preview, _ => Task.FromResult(new PlacementDecision("qemu:///system", [new HostVerdict("qemu:///system", null, null, 0.9, null)]))));

        cut.Find("[data-testid=machine-type-option]").Click();

        Assert.Equal("Would be placed on qemu:///system now.", cut.Find("[data-testid=placement-preview]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=placement-refused]"));
    }
}
