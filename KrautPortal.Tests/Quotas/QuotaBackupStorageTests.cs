using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features;
using KrautPortal.Features.Backups;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Api;
using KrautPortal.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Quotas;

/// <summary>
/// Backups and snapshots count against one measure, backupBytes (the bytes they take): a user's quota of it refuses a
/// new snapshot or backup once it is full, says so in the API's words, and shows what is in use.
/// </summary>
public sealed class QuotaBackupStorageTests(QuotaPortal portal) : IClassFixture<QuotaPortal>
{
    private const string User = "hank";

    [Fact]
    public async Task ABackupStorageQuota_CountsBackupsAndSnapshots_AndRefusesANewSnapshotOnceFull()
    {
        using var created = await portal.CreateVmAsync(User, await portal.VmBodyAsync(ApiClient.UniqueName("kept")));
        var vm = (Guid)(await ApiClient.ReadAsync(created))["id"]!;
        await portal.Api.WaitForPhaseAsync(vm, "running");
        // A completed 3 MiB backup of it, stored directly: the demo host has no disk to copy.
        await using (var scope = portal.App.CreateActorScope())
        {
            await scope.ServiceProvider.GetRequiredService<ResourceStore>().CreateAsync(new NewResource(Kinds.Backups.Name, ApiClient.UniqueName("b"), User, [],
                KrautJson.Serialize(new BackupSpec { VmId = vm }),
                KrautJson.Serialize(new BackupStatus { Phase = BackupPhase.Completed, CompletedAt = DateTime.UtcNow, SizeBytes = 3L << 20 }), false, Guid.NewGuid()),
                Actor.System, CancellationToken.None);
        }
        await portal.SetQuotaAsync($"users/{User}", new JsonObject { ["backupBytes"] = 2L << 20 });
        try
        {
            var mine = (await portal.MineAsync(User)).Select(q => q!.AsObject()).First();
            Assert.Equal(3L << 20, (long)mine["used"]!["backupBytes"]!);

            using var refused = await portal.As(User).PostAsync($"/api/v1/vms/{vm}/snapshots", ApiClient.Json(new JsonObject { ["name"] = "over" }));
            await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Conflict,
                $"backup and snapshot storage quota of {User} exceeded: 3 MiB of 2 MiB in use, this snapshot needs room for more.");
            var listed = await ApiClient.ReadAsync(await portal.As(User).GetAsync($"/api/v1/vms/{vm}/snapshots"));
            Assert.Empty(listed["items"]!.AsArray());

            // With room again, the same snapshot is taken.
            await portal.SetQuotaAsync($"users/{User}", new JsonObject { ["backupBytes"] = 1L << 30 });
            using var taken = await portal.As(User).PostAsync($"/api/v1/vms/{vm}/snapshots", ApiClient.Json(new JsonObject { ["name"] = "fits" }));
            Assert.True(taken.StatusCode == HttpStatusCode.Created, await taken.Content.ReadAsStringAsync());
        }
        finally
        {
            await portal.RemoveQuotaAsync($"users/{User}");
        }
    }
}
