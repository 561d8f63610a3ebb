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
        Services.AddScoped<IVmDeleteNote>(_ => new BackupDeleteNote(Services.GetRequiredService<KindReader>(),
            Services.GetRequiredService<ResourceService<BackupSpec, BackupStatus>>()));
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
        Assert.DoesNotContain(await StoredAllAsync<VmSpec, VmStatus>(Kinds.Vms), v => v.Name == tooLong);
        Assert.NotEmpty(cut.FindAll("[data-testid=restore-dialog]"));

        // The backed-up VM's machine type and network are preselected; left stopped, the new VM is made with them.
        static string Shown(AngleSharp.Dom.IElement select) => select.TextContent + " " + select.GetAttribute("value");
        Assert.Contains("small (as backed up)", Shown(cut.Find("[data-testid=restore-machine-type]")), StringComparison.Ordinal);
        Assert.Contains("default", Shown(cut.Find("[data-testid=restore-networks]")), StringComparison.Ordinal);
        var name = "restored-" + Guid.NewGuid().ToString("N")[..6];
        cut.Find("input[data-testid=restore-name]").Change(name);
        cut.Find("input[data-testid=restore-start]").Change(false);
        await cut.InvokeAsync(() => cut.Find("button[data-testid=restore-confirm]").Click());
        Resource<VmSpec, VmStatus>? made = null;
        await Eventually.WaitUntilAsync(async () =>
            (made = (await StoredAllAsync<VmSpec, VmStatus>(Kinds.Vms)).FirstOrDefault(v => v.Name == name)) is not null,
            Wait, "the restored VM's record");
        Assert.Equal(PowerState.Stopped, made!.Spec.Power);
        Assert.Equal(source.MachineTypeId, made.Spec.MachineTypeId);
        Assert.Equal(source.NetworkIds, made.Spec.Nics.Select(n => n.NetworkId));
        Assert.Equal(source.MemoryMiB, made.Spec.MemoryMiB);
    }

    [Fact]
    public async Task DeletingAVm_AsksFirst_SayingItsSnapshotsGoWithIt_AndItsBackupsStay_UnlessTicked()
    {
        var (vm, backup, cut) = await VmWithSnapshotsAndABackupAsync();
        cut.WaitForAssertion(() =>
        {
            var notes = cut.FindAll("[data-testid=vm-delete-note]").Select(n => n.TextContent.Trim()).ToList();
            Assert.Contains("Its 2 snapshots go with it.", notes);
            Assert.Contains("It has a backup, kept unless you tick below: restore or delete it later on the Backups page.", notes);
        }, Wait);
        Assert.Contains(cut.FindAll("[data-testid=vm-delete-dialog] label"), l => l.TextContent.Contains("Delete its backup too", StringComparison.Ordinal));
        // Cancelled: nothing changes.
        cut.Find("[data-testid=vm-delete-cancel]").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=vm-delete-dialog]")), Wait);
        Assert.NotNull(await StoredAsync<VmSpec, VmStatus>(Kinds.Vms, vm.Id));

        // Confirmed without the tick: the VM goes, its backup stays.
        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Delete").Click();
        cut.WaitForElement("[data-testid=vm-delete-confirm]", Wait).Click();
        await Eventually.WaitUntilAsync(async () => await StoredAsync<VmSpec, VmStatus>(Kinds.Vms, vm.Id) is null, Wait, "the VM deleted");
        Assert.NotNull(await StoredAsync<BackupSpec, BackupStatus>(Kinds.Backups, backup));
    }

    [Fact]
    public async Task DeletingAVm_WithItsBackupsTicked_DeletesThemToo()
    {
        var (vm, backup, cut) = await VmWithSnapshotsAndABackupAsync();
        cut.WaitForElement("[data-testid=vm-delete-dialog] input[type=checkbox]", Wait).Change(true);
        cut.WaitForAssertion(() => Assert.Equal("Delete all ticked", cut.Find("[data-testid=vm-delete-confirm]").TextContent.Trim()), Wait);
        cut.Find("[data-testid=vm-delete-confirm]").Click();

        await Eventually.WaitUntilAsync(async () => await StoredAsync<VmSpec, VmStatus>(Kinds.Vms, vm.Id) is null
            && await StoredAsync<BackupSpec, BackupStatus>(Kinds.Backups, backup) is null, Wait, "the VM and its backup deleted");
    }

    /// <summary>A built, stopped VM with two snapshots and a stored backup, its page open and delete clicked.</summary>
    private async Task<(Resource<VmSpec, VmStatus> Vm, Guid Backup, IRenderedComponent<Bunit.Rendering.ContainerFragment> Cut)> VmWithSnapshotsAndABackupAsync()
    {
        var vm = await _app.CreateVmAsync(Services, "delete-note-" + Guid.NewGuid().ToString("N")[..6]);
        var vms = Services.GetRequiredService<ResourceService<VmSpec, VmStatus>>();
        await Eventually.WaitUntilAsync(async () => (await vms.GetAsync(vm.Id, CancellationToken.None)).Status.Phase == VmPhase.Stopped, Wait, "the VM to be built");
        var snapshots = Services.GetRequiredService<SnapshotOperations>();
        foreach (var name in new[] { "first", "second" })
            await snapshots.TakeAsync(vm.Id, $"{name}-{Guid.NewGuid().ToString("N")[..6]}", null, null, null, CancellationToken.None);
        var backup = await StoreBackupAsync(vm.Id, "kept-" + Guid.NewGuid().ToString("N")[..6], null);

        var cut = RenderWithDialogs(b =>
        {
            b.OpenComponent<VmDetail>(0);
            b.AddAttribute(1, nameof(VmDetail.Id), vm.Id);
            b.CloseComponent();
        });
        cut.WaitForAssertion(() => Assert.Contains(vm.Name, cut.Find("#page-title").TextContent, StringComparison.Ordinal), Wait);
        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Delete").Click();
        return (vm, backup, cut);
    }

    /// <summary>A completed backup stored directly: the demo host has no disk to copy.</summary>
    private async Task<Guid> StoreBackupAsync(Guid vmId, string name, BackupSource? source)
    {
        await using var scope = _app.Factory.CreateActorScope();
        return (await scope.ServiceProvider.GetRequiredService<ResourceStore>().CreateAsync(new NewResource(Kinds.Backups.Name, name, Support.TestCredentials.Admin.Name, [],
            KrautJson.Serialize(new BackupSpec { VmId = vmId }),
            KrautJson.Serialize(new BackupStatus { Phase = BackupPhase.Completed, CompletedAt = DateTime.UtcNow, Kind = BackupKind.Full, Source = source }),
            false, Guid.NewGuid()), Actor.System, CancellationToken.None)).Id;
    }
}
