using Bunit;
using KrautPortal.Features.Consoles.Pages;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Features.Vms.Pages;

namespace KrautPortal.Tests.Portal;

/// <summary>The VM page's Console tab offers what fits the VM: nothing to connect to while it is stopped, only the log for a router.</summary>
public sealed class ConsoleTabTests : PortalTestContext, IClassFixture<PortalApp>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public ConsoleTabTests(PortalApp app) : base(app.Services)
    {
        JSInterop.SetupModule("./" + ConsoleLog.Script).SetupVoid("follow", _ => true);
    }

    [Fact]
    public void StoppedVm_SaysItIsNotRunning_AndOffersNoConnectButton_ButShowsTheLog()
    {
        var cut = Render<VmConsoleTab>(p => p.Add(c => c.Vm, Vm(VmPhase.Stopped)));

        Assert.Contains("not running (it is stopped)", cut.Find("[data-testid=console-not-running]").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=console-open-serial]"));
        Assert.Empty(cut.FindAll("[data-testid=console-open-screen]"));
        Assert.NotNull(cut.Find("[data-testid=console-log]"));
    }

    [Fact]
    public void RouterVm_IsReadOnly_EvenWhileRunning()
    {
        var router = Vm(VmPhase.Running) with { System = true, Metadata = RouterVmMarker.Metadata(Guid.NewGuid()) };
        var cut = Render<VmConsoleTab>(p => p.Add(c => c.Vm, router));

        Assert.Contains("read-only", cut.Find("[data-testid=console-read-only]").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=console-open-serial]"));
        Assert.NotNull(cut.Find("[data-testid=console-log]"));
    }

    [Fact]
    public void RunningVm_OffersSerialAndScreen_AndSaysWhyWhenNoTicketIsIssued()
    {
        // A VM the store does not have: the ticket service refuses, and the tab says so instead of connecting.
        var cut = Render<VmConsoleTab>(p => p.Add(c => c.Vm, Vm(VmPhase.Running)));
        Assert.Empty(cut.FindAll("[data-testid=console-not-running]"));
        Assert.NotNull(cut.Find("[data-testid=console-open-screen]"));

        cut.Find("button[data-testid=console-open-serial]").Click();
        cut.WaitForAssertion(() => Assert.Contains("There is no", cut.Find("[data-testid=console-error]").TextContent, StringComparison.Ordinal), Wait);
        Assert.Empty(cut.FindAll("[data-testid=console-view]"));
    }

    private static Resource<VmSpec, VmStatus> Vm(VmPhase phase) =>
        new(Guid.CreateVersion7(), "vms", "console-tab", "admin", [], new VmSpec { ImageId = Guid.NewGuid(), MachineTypeId = Guid.NewGuid() },
            new VmStatus { Phase = phase, Host = phase == VmPhase.Running ? "test" : null }, 1, DateTime.UtcNow, DateTime.UtcNow, null);
}
