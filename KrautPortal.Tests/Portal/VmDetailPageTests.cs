using System.Text.Json.Nodes;
using Bunit;
using Bunit.Rendering;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Features.Vms.Pages;
using KrautPortal.Tests.Support;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace KrautPortal.Tests.Portal;

/// <summary>The VM page on real services (libvirt's test driver): buttons that fit the state, revert, NICs, snackbars, console.</summary>
public sealed class VmDetailPageTests : OwnPortalTestContext
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    public VmDetailPageTests() : base(new KrautAppFactory())
    {
    }

    [Fact]
    public async Task PowerButtons_EnableOnlyWhatFitsTheObservedState()
    {
        var vm = await CreateVmAsync("buttons");
        var cut = RenderPage(vm.Id);
        cut.WaitForAssertion(() => Assert.Equal("running", cut.Find("[data-testid=vm-phase]").TextContent.Trim()), Wait);

        cut.WaitForAssertion(() => Assert.Equal(["stop", "reboot", "force-off"], EnabledActions(cut)), Wait);

        await Ops.ActAsync(vm.Id, "stop", null, CancellationToken.None);

        cut.WaitForAssertion(() => Assert.Equal("stopped", cut.Find("[data-testid=vm-phase]").TextContent.Trim()), Wait);
        cut.WaitForAssertion(() => Assert.Equal(["start"], EnabledActions(cut)), Wait);
        Assert.Empty(cut.FindAll("[data-testid=action-busy]"));
    }

    [Theory]
    [InlineData(VmPhase.Running, "stop reboot force-off")]
    [InlineData(VmPhase.Stopped, "start")]
    [InlineData(VmPhase.Crashed, "start force-off")]
    [InlineData(VmPhase.Starting, "")]
    [InlineData(VmPhase.Creating, "")]
    [InlineData(VmPhase.Rebooting, "force-off")]
    [InlineData(VmPhase.Stopping, "force-off")]
    public void ActionsAvailable_FollowThePhase(VmPhase phase, string expected)
    {
        var vm = Vm(new VmStatus { Phase = phase, ObservedVersion = 1 });

        var can = VmActionsAvailable.For(vm);

        Assert.Equal(expected, string.Join(' ', VmOperations.Actions.Where(can.Allows)));
        Assert.Equal(phase is not (VmPhase.Running or VmPhase.Stopped or VmPhase.Crashed), can.Busy);
    }

    [Fact]
    public void ActionsAvailable_WhileTheReconcilerHasNotSeenTheNewestVersion_NothingButProgress()
    {
        var can = VmActionsAvailable.For(Vm(new VmStatus { Phase = VmPhase.Running, ObservedVersion = 0 }));
        Assert.True(can.Busy);
        Assert.DoesNotContain(VmOperations.Actions, can.Allows);

        // Unless it failed on that version: then the user must be able to act again.
        var failed = VmActionsAvailable.For(Vm(new VmStatus { Phase = VmPhase.Stopped, ObservedVersion = 0, LastError = "no" }));
        Assert.True(failed.Start);
    }

    [Fact]
    public async Task RevertDialog_ShowsTheDiff_AndSaysInWordsThatTheVmStops_AndItsNicGoes_ThenTheHistoryShowsTheRevert()
    {
        var vm = await CreateVmAsync("revert");
        var network = await App.IdOfAsync("networks", "default");
        await WaitForPhaseAsync(vm.Id, VmPhase.Running);
        vm = await Ops.ActAsync(vm.Id, "stop", null, CancellationToken.None);          // v2: stopped
        var stoppedVersion = vm.Version;
        await Ops.ActAsync(vm.Id, "start", null, CancellationToken.None);             // v3: running again
        var added = await Ops.AddNicAsync(vm.Id, new VmNic { NetworkId = network }, null, CancellationToken.None);  // v4: a second NIC
        var cut = RenderPage(vm.Id);
        cut.WaitForAssertion(() => Assert.Contains("v4", cut.Find("#page-title").ParentElement!.TextContent), Wait);
        OpenTab(cut, "History");
        cut.WaitForAssertion(() => Assert.Contains("Version 3 → version 4", cut.Markup), Wait);

        cut.Find($"[data-testid=revert-{stoppedVersion}]").Click();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=revert-dialog]")), Wait);
        var warnings = cut.FindAll("[data-testid=revert-warning]").Select(w => w.TextContent).ToList();
        Assert.Contains(warnings, w => w.StartsWith("The VM will be stopped", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains($"NIC {added.Mac} on network default will be removed", StringComparison.Ordinal)
            && w.Contains(added.Ipv4Address!, StringComparison.Ordinal));
        Assert.DoesNotContain("Nothing is lost", cut.Markup, StringComparison.Ordinal);
        // The dialog's own diff: current on the left, the chosen version on the right.
        var dialog = cut.Find("[data-testid=revert-dialog]");
        Assert.Contains("\"power\": \"running\"", dialog.QuerySelector("[data-testid=diff-left] .changed")!.ParentElement!.TextContent, StringComparison.Ordinal);
        Assert.Contains("\"power\": \"stopped\"", dialog.QuerySelector("[data-testid=diff-right]")!.TextContent, StringComparison.Ordinal);
        Assert.Contains(added.Mac!, dialog.QuerySelector("[data-testid=diff-left] .removed")!.ParentElement!.TextContent, StringComparison.Ordinal);

        cut.Find("[data-testid=revert-confirm]").Click();

        // The diff pane follows: it compares the version before the revert with the revert.
        cut.WaitForAssertion(() => Assert.Contains("Version 4 → version 5", cut.Markup), Wait);
        Assert.Empty(cut.FindAll("[data-testid=revert-dialog]"));
        var reverted = await Vms.GetAsync(vm.Id, CancellationToken.None);
        Assert.Equal(PowerState.Stopped, reverted.Spec.Power);
        Assert.DoesNotContain(reverted.Spec.Nics, n => n.Id == added.Id);
    }

    [Fact]
    public async Task Revert_KeepsTheActionCounters_SoTheNextRebootStillHappens()
    {
        var vm = await CreateVmAsync("revert-counters");
        await WaitForPhaseAsync(vm.Id, VmPhase.Running);
        await Ops.ActAsync(vm.Id, "reboot", null, CancellationToken.None);
        var rebooted = await Ops.ActAsync(vm.Id, "reboot", null, CancellationToken.None);

        var reverted = await Vms.RevertAsync(vm.Id, 1, rebooted.Version, CancellationToken.None);

        Assert.Equal(2, reverted.Spec.RebootGeneration);
        Assert.Equal(3, (await Ops.ActAsync(vm.Id, "reboot", null, CancellationToken.None)).Spec.RebootGeneration);
    }

    [Fact]
    public async Task AddNic_OffersNamedNetworksBehindAPlaceholder_AndShowsTheApisAddressProblemAtItsField()
    {
        var vm = await CreateVmAsync("add-nic");
        var network = await App.IdOfAsync("networks", "default");
        var cut = RenderPage(vm.Id);
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("#page-title")), Wait);
        OpenTab(cut, "NICs");

        Assert.Contains("Choose a network", cut.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain(Guid.Empty.ToString(), cut.Markup, StringComparison.Ordinal);
        Assert.True(cut.Find("[data-testid=nic-add]").HasAttribute("disabled"));

        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<Guid?>>().Instance.ValueChanged.InvokeAsync(network));
        cut.WaitForAssertion(() => Assert.Contains("default (", cut.FindComponent<MudSelect<Guid?>>().Markup, StringComparison.Ordinal), Wait);
        cut.Find("input[data-testid=nic-ipv4]").Change("10.99.99.5");
        cut.Find("[data-testid=nic-add]").Click();

        // The API's words, under the field they are about, and nothing added.
        cut.WaitForAssertion(() => Assert.Contains("10.99.99.5", cut.Find("input[data-testid=nic-ipv4]").ParentElement!.ParentElement!.TextContent + ErrorTextNear(cut, "nic-ipv4")), Wait);
        Assert.Single((await Vms.GetAsync(vm.Id, CancellationToken.None)).Spec.Nics);
    }

    [Fact]
    public async Task ActionSnackbar_IsReplacedWhenTheVmReachesTheState()
    {
        var vm = await CreateVmAsync("snacks");
        var cut = RenderPage(vm.Id);
        cut.WaitForAssertion(() => Assert.Equal(["stop", "reboot", "force-off"], EnabledActions(cut)), Wait);
        var snackbars = Services.GetRequiredService<ISnackbar>();

        // Found and clicked in one dispatch: the VM's live refresh may re-render the buttons between the two (a full run
        // once clicked a handler that re-render had just replaced).
        await cut.InvokeAsync(() => cut.Find("[data-testid=action-stop]").Click());

        cut.WaitForAssertion(() => Assert.Equal("stopped", cut.Find("[data-testid=vm-phase]").TextContent.Trim()), Wait);
        cut.WaitForAssertion(() => Assert.Equal(["snacks is stopped."], snackbars.ShownSnackbars.Select(s => s.Message).ToList()), Wait);
    }

    [Fact]
    public async Task NicAddedToARunningVm_NeverSeen_GetsAHintWhy_OnceItWasSilentForAWhile()
    {
        // The page looks a minute after the reconciler noted the silence.
        Services.AddSingleton<TimeProvider>(new ShiftedTime(TimeSpan.FromMinutes(1)));
        var vm = await CreateVmAsync("silent-nic");
        var network = await App.IdOfAsync("networks", "default");
        await WaitForPhaseAsync(vm.Id, VmPhase.Running);
        // libvirt's test driver cannot hot-plug, so the running guest never shows this NIC: as a guest that ignores it.
        var added = await Ops.AddNicAsync(vm.Id, new VmNic { NetworkId = network }, null, CancellationToken.None);
        await Eventually.WaitUntilAsync(async () => (await StoredVmAsync(vm.Id)).Status.UnseenSince.ContainsKey(added.Mac!),
            Wait, "the reconciler to note the silent NIC");
        var first = (await StoredVmAsync(vm.Id)).Spec.Nics[0];

        var cut = RenderPage(vm.Id);
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("#page-title")), Wait);
        OpenTab(cut, "NICs");

        var rows = cut.FindAll("[data-testid=nic-row]");
        Assert.Equal(2, rows.Count);
        var seen = rows.Single(r => r.TextContent.Contains(first.Mac!, StringComparison.Ordinal));
        Assert.Contains("DHCP lease", seen.QuerySelector("[data-testid=nic-seen]")!.TextContent, StringComparison.Ordinal);
        Assert.Null(seen.QuerySelector("[data-testid=nic-hint]"));
        var silent = rows.Single(r => r.TextContent.Contains(added.Mac!, StringComparison.Ordinal));
        Assert.Equal(added.Ipv4Address, silent.QuerySelector("[data-testid=nic-assigned]")!.TextContent.Trim());
        Assert.Contains("not seen yet", silent.QuerySelector("[data-testid=nic-seen]")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("has not asked for an address on this NIC", silent.QuerySelector("[data-testid=nic-hint]")!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SilentNic_GetsNoHint_BeforeItHadTimeToAsk()
    {
        var vm = await CreateVmAsync("fresh-nic");
        var network = await App.IdOfAsync("networks", "default");
        await WaitForPhaseAsync(vm.Id, VmPhase.Running);
        var added = await Ops.AddNicAsync(vm.Id, new VmNic { NetworkId = network }, null, CancellationToken.None);
        await Eventually.WaitUntilAsync(async () => (await StoredVmAsync(vm.Id)).Status.UnseenSince.ContainsKey(added.Mac!),
            Wait, "the reconciler to note the silent NIC");

        var cut = RenderPage(vm.Id);
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("#page-title")), Wait);
        OpenTab(cut, "NICs");

        Assert.Contains("not seen yet", cut.Markup, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=nic-hint]"));
    }

    [Fact]
    public void Console_FollowsTheNewestOutput()
    {
        var module = JSInterop.SetupModule("./" + ConsoleLog.Script);
        module.SetupVoid("follow", _ => true);

        var cut = Render<ConsoleLog>(p => p.Add(c => c.VmId, Guid.CreateVersion7()));

        cut.WaitForAssertion(() => Assert.Single(module.VerifyInvoke("follow").Arguments.OfType<ElementReference>()), Wait);
        Assert.Equal("(nothing yet)", cut.Find("[data-testid=console-log]").TextContent);
    }

    private ResourceService<VmSpec, VmStatus> Vms => Services.GetRequiredService<ResourceService<VmSpec, VmStatus>>();
    private VmOperations Ops => Services.GetRequiredService<VmOperations>();

    private IRenderedComponent<ContainerFragment> RenderPage(Guid id) => Render(b =>
    {
        b.OpenComponent<MudPopoverProvider>(0);
        b.CloseComponent();
        b.OpenComponent<MudDialogProvider>(1);
        b.CloseComponent();
        b.OpenComponent<VmDetail>(2);
        b.AddAttribute(3, nameof(VmDetail.Id), id);
        b.CloseComponent();
    });

    private static void OpenTab(IRenderedComponent<ContainerFragment> cut, string title) =>
        cut.FindAll(".mud-tab").First(t => t.TextContent.Trim().StartsWith(title, StringComparison.Ordinal)).Click();

    private static List<string> EnabledActions(IRenderedComponent<ContainerFragment> cut) =>
        VmOperations.Actions.Where(a => !cut.Find($"[data-testid=action-{a}]").HasAttribute("disabled")).ToList();

    private static string ErrorTextNear(IRenderedComponent<ContainerFragment> cut, string testId) =>
        cut.Find($"input[data-testid={testId}]").Closest(".mud-input-control")?.TextContent ?? "";

    private Task WaitForPhaseAsync(Guid id, VmPhase phase) => Eventually.WaitUntilAsync(async () =>
        (await StoredVmAsync(id)).Status.Phase == phase, Wait, $"the VM to be {phase}");

    /// <summary>The VM as stored, read in a scope of its own (the rendered page refreshes through the test's circuit context).</summary>
    private async Task<Resource<VmSpec, VmStatus>> StoredVmAsync(Guid id) =>
        await StoredAsync<VmSpec, VmStatus>(Kinds.Vms, id) ?? throw new InvalidOperationException($"VM {id} is gone.");

    private async Task<Resource<VmSpec, VmStatus>> CreateVmAsync(string name)
    {
        var image = await App.IdOfAsync("images", "kraut-test-guest");
        var type = await App.IdOfAsync("machine-types", "small");
        var network = await App.IdOfAsync("networks", "default");
        return await Vms.CreateAsync(new ResourceInput<VmSpec>(name, new JsonObject(),
            new VmSpec { ImageId = image, MachineTypeId = type, Nics = [new VmNic { NetworkId = network }] }), CancellationToken.None);
    }

    private sealed class ShiftedTime(TimeSpan by) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + by;
    }

    private static Resource<VmSpec, VmStatus> Vm(VmStatus status) =>
        new(Guid.CreateVersion7(), "vms", "vm", "admin", new JsonObject(), new VmSpec { ImageId = Guid.NewGuid(), MachineTypeId = Guid.NewGuid() },
            status, 1, DateTime.UtcNow, DateTime.UtcNow, null);
}
