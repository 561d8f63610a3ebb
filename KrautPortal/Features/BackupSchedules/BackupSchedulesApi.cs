using KrautPortal.Features.Api;
using KrautPortal.Features.Backups;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.BackupSchedules;

/// <summary><c>/api/v1/backup-schedules</c> (the generic kind API) and <c>POST /api/v1/backups/{id}/verify</c> (a backup checked on demand).</summary>
public static class BackupSchedulesApi
{
    public sealed record Verification(Guid BackupId, string Result);

    public static void MapBackupSchedules(this IEndpointRouteBuilder app)
    {
        app.MapResourceApi<BackupScheduleSpec, BackupScheduleStatus>(Kinds.BackupSchedules);
        app.MapPost("/api/v1/backups/{id}/verify", VerifyAsync).WithTags("backups").WithName("VerifyBackup")
            .WithSummary("Check the backup's chain against its checksums and test-restore it into a temporary qcow2 (qemu-img check); the result in a sentence.");
    }

    /// <summary>Read through the service first: another tenant's backup is "not found", as its GET is.</summary>
    public static async Task<Ok<Verification>> VerifyAsync(ResourceService<BackupSpec, BackupStatus> backups, KindReader reader, BackupVerifier verifier,
        string id, CancellationToken ct)
    {
        var backup = await backups.GetAsync(ApiIds.Parse(id), ct);
        return TypedResults.Ok(new Verification(backup.Id, await verifier.VerifyAsync(backup, reader, ct)));
    }
}
