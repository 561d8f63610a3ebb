using Bunit;
using KrautPortal.Features.Backups;
using KrautPortal.Features.Backups.Pages;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Tests.Portal;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Backups;

/// <summary>The VM page's Backups tab on real services: its list with sizes and total, and why "Back up now" is not offered on the demo host.</summary>
public sealed class BackupsTabTests : PortalTestContext, IClassFixture<PortalApp>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly PortalApp _app;

    public BackupsTabTests(PortalApp app) : base(app.Services) => _app = app;

    [Fact]
    public async Task Tab_ListsTheVmsBackups_WithTheirTotal_AndSaysWhyBackingUpIsNotOfferedOnTheDemoHost()
    {
        var vmId = Guid.NewGuid();
        // Stored directly: on the test driver the rules refuse to take a backup (nothing to copy), which the tab says too.
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var store = scope.ServiceProvider.GetRequiredService<ResourceStore>();
            var status = new BackupStatus { Phase = BackupPhase.Completed, Kind = BackupKind.Full, SizeBytes = 3L << 20, CompletedAt = DateTime.UtcNow };
            await store.CreateAsync(new NewResource(Kinds.Backups.Name, "tab-full-" + vmId.ToString("N")[..6], "test-admin", [],
                KrautJson.Serialize(new BackupSpec { VmId = vmId, Note = "before the upgrade" }), KrautJson.Serialize(status), false, Guid.NewGuid()),
                Actor.System, CancellationToken.None);
        }
        var vm = new Resource<VmSpec, VmStatus>(vmId, "vms", "tab-vm", "test-admin", [], new VmSpec { ImageId = Guid.NewGuid(), MachineTypeId = Guid.NewGuid() },
            new VmStatus { Phase = VmPhase.Running, Host = "test:///default" }, 1, DateTime.UtcNow, DateTime.UtcNow, null);

        var cut = Render<VmBackupsTab>(p => p.Add(c => c.Vm, vm));

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=backup-row]")), Wait);
        Assert.Contains("before the upgrade", cut.Find("[data-testid=backup-row]").TextContent, StringComparison.Ordinal);
        Assert.Contains("3.0 MiB", cut.Find("[data-testid=backup-total]").TextContent, StringComparison.Ordinal);
        Assert.Contains("demo host", cut.Find("[data-testid=backup-unavailable]").TextContent, StringComparison.Ordinal);
        Assert.True(cut.Find("button[data-testid=backup-now]").HasAttribute("disabled"));
        // Restoring over it is not offered either, saying why: the demo host's VMs have no disk to replace.
        var over = cut.Find("button[data-testid=backup-restore-over]");
        Assert.True(over.HasAttribute("disabled"));
        Assert.Contains("demo host", over.GetAttribute("title"), StringComparison.Ordinal);
    }
}
