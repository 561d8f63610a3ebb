using Bunit;
using KrautPortal.Features;
using KrautPortal.Features.Backups;
using KrautPortal.Features.Backups.Pages;
using KrautPortal.Features.Snapshots;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Features.Vms.Pages;
using KrautPortal.Tests.Portal;
using KrautPortal.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace KrautPortal.Tests.Backups;

/// <summary>
/// The /backups page lists backups whose VM is gone (a backup outlives its VM) and restores one into a new VM, the name
/// checked at the dialog; the VM page's delete confirmation counts the snapshots that go with the VM and the backups that stay.
/// </summary>
public sealed class BackupsPageTests : PortalTestContext, IClassFixture<PortalApp>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly PortalApp _app;

    public BackupsPageTests(PortalApp app) : base(app.Services)
    {
        _app = app;
        // bUnit answers IEnumerable<T> from its own container (empty) without asking the portal's: register what the portal does.
        // (By factory: the portal's services they need come through bUnit's fallback, which constructor injection skips.)
        Services.AddScoped<IVmDeleteNote>(_ => new SnapshotDeleteNote(Services.GetRequiredService<KindReader>()));
        Services.AddScoped<IVmDeleteNote>(_ => new BackupDeleteNote(Services.GetRequiredService<KindReader>()));
    }

    [Fact]
    public async Task ABackupOfAGoneVm_IsListed_AndItsRestoreDialog_ShowsTheNamesProblemAtTheField()
    {
        var goneVm = Guid.NewGuid();
        var backupName = "orphan-" + Guid.NewGuid().ToString("N")[..6];
        var source = new BackupSource(await _app.Factory.IdOfAsync("images", "kraut-test-guest"), await _app.Factory.IdOfAsync("machine-types", "small"),
            1, 256, 1, [await _app.Factory.IdOfAsync("networks", "default")]);
        await StoreBackupAsync(goneVm, backupName, source);

        var cut = RenderWithDialogs(b =>
        {
            b.OpenComponent<BackupsPage>(0);
            b.CloseComponent();
        });
        var row = () => cut.FindAll("tr").Single(r => r.TextContent.Contains(backupName, StringComparison.Ordinal));
        cut.WaitForAssertion(() => Assert.Contains($"gone ({goneVm.ToString()[..8]})", row().QuerySelector("[data-testid=backup-vm]")!.TextContent,
            StringComparison.Ordinal), Wait);
        Assert.Equal("completed", row().QuerySelector("[data-testid=backup-phase]")!.TextContent.Trim());

        row().QuerySelector("button[data-testid=backup-restore-new]")!.Click();
        cut.WaitForAssertion(() => Assert.Contains("the VM had when the backup was taken", cut.Find("[data-testid=restore-dialog]").TextContent,
            StringComparison.Ordinal), Wait);
        var tooLong = new string('x', ResourceNames.MaxLength + 1);
        cut.Find("input[data-testid=restore-name]").Change(tooLong);
        cut.Find("button[data-testid=restore-confirm]").Click();
        cut.WaitForAssertion(() => Assert.Contains($"at most {ResourceNames.MaxLength} characters",
            cut.Find("[data-testid=restore-dialog] .mud-input-helper-text").TextContent, StringComparison.Ordinal), Wait);
        // Nothing was made: no VM of that name, the dialog still open for a better one.
        var vms = await Services.GetRequiredService<ResourceService<VmSpec, VmStatus>>().ListAsync(new ListQuery(Limit: ListQuery.MaxLimit), CancellationToken.None);
        Assert.DoesNotContain(vms.Items, v => v.Name == tooLong);
        Assert.NotEmpty(cut.FindAll("[data-testid=restore-dialog]"));
    }

    [Fact]
    public async Task DeletingAVm_AsksFirst_SayingItsSnapshotsGoWithIt_AndItsBackupsStay()
    {
        var vm = await _app.CreateVmAsync(Services, "delete-note-" + Guid.NewGuid().ToString("N")[..6]);
        var vms = Services.GetRequiredService<ResourceService<VmSpec, VmStatus>>();
        await Eventually.WaitUntilAsync(async () => (await vms.GetAsync(vm.Id, CancellationToken.None)).Status.Phase == VmPhase.Stopped, Wait, "the VM to be built");
        var snapshots = Services.GetRequiredService<SnapshotOperations>();
        foreach (var name in new[] { "first", "second" })
            await snapshots.TakeAsync(vm.Id, $"{name}-{Guid.NewGuid().ToString("N")[..6]}", null, null, null, CancellationToken.None);
        await StoreBackupAsync(vm.Id, "kept-" + Guid.NewGuid().ToString("N")[..6], null);

        var cut = RenderWithDialogs(b =>
        {
            b.OpenComponent<VmDetail>(0);
            b.AddAttribute(1, nameof(VmDetail.Id), vm.Id);
            b.CloseComponent();
        });
        cut.WaitForAssertion(() => Assert.Contains(vm.Name, cut.Find("#page-title").TextContent, StringComparison.Ordinal), Wait);
        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Delete").Click();

        cut.WaitForAssertion(() =>
        {
            var text = cut.Find(".mud-dialog").TextContent;
            Assert.Contains("Its 2 snapshots go with it.", text, StringComparison.Ordinal);
            Assert.Contains("Its backup stays: restore or delete it on the Backups page.", text, StringComparison.Ordinal);
        }, Wait);
        cut.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == "Cancel").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll(".mud-dialog")), Wait);
        Assert.NotNull(await vms.FindAsync(vm.Id, CancellationToken.None));
    }

    /// <summary>A completed backup stored directly: the demo host has no disk to copy.</summary>
    private async Task StoreBackupAsync(Guid vmId, string name, BackupSource? source)
    {
        await using var scope = _app.Factory.CreateActorScope();
        await scope.ServiceProvider.GetRequiredService<ResourceStore>().CreateAsync(new NewResource(Kinds.Backups.Name, name, Support.TestCredentials.Admin.Name, [],
            KrautJson.Serialize(new BackupSpec { VmId = vmId }),
            KrautJson.Serialize(new BackupStatus { Phase = BackupPhase.Completed, CompletedAt = DateTime.UtcNow, Kind = BackupKind.Full, Source = source }),
            false, Guid.NewGuid()), Actor.System, CancellationToken.None);
    }
}
