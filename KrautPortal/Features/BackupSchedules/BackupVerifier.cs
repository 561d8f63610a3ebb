using System.Globalization;
using KrautPortal.Features.Backups;
using KrautPortal.Features.Store;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.BackupSchedules;

/// <summary>
/// Checks a backup as a restore would need it: every link of its chain against its recorded SHA-256, then a test
/// restore (the chain flattened into a temporary qcow2 beside the backups, checked with <c>qemu-img check -f qcow2</c>,
/// removed). The answer is a sentence for the schedule's status.
/// </summary>
public sealed class BackupVerifier(BackupFiles files, TimeProvider time)
{
    private static readonly ToolLimits CheckLimits = new(TimeSpan.FromMinutes(30), null, null);

    public async Task<string> VerifyAsync(Resource<BackupSpec, BackupStatus> backup, KindReader reader, CancellationToken ct)
    {
        var at = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
        // Named by a fresh id only; removed whatever happens.
        var scratch = Path.Combine(files.Root, $"verify-{Guid.NewGuid():N}.qcow2");
        try
        {
            var chain = await BackupFiles.VerifiedChainAsync(backup, id => reader.FindAsync<BackupSpec, BackupStatus>(Kinds.Backups, id, ct), ct);
            Directory.CreateDirectory(files.Root);
            await BackupFiles.FlattenAsync(chain, scratch, null, ct);
            var check = await QemuImg.CheckAsync(scratch, "qcow2", CheckLimits, ct);
            return check.IsConsistent
                ? $"verified at {at}, ok: {chain.Count} link(s) match their checksums, the test restore is a consistent qcow2"
                : $"verified at {at}, FAILED: the test restore has {check.Corruptions} corruption(s) and {check.CheckErrors} check error(s)";
        }
        catch (Exception e) when (e is ConflictException or QemuImgException or IOException)
        {
            return $"verified at {at}, FAILED: {(e is ConflictException c ? c.Detail : e.Message)}";
        }
        finally
        {
            File.Delete(scratch);
        }
    }
}
