using System.Security.Cryptography;
using KrautPortal.Features.Store;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Backups;

/// <summary>
/// Where backups live (<c>&lt;vmId&gt;/&lt;backupId&gt;.qcow2</c> under <see cref="KrautPaths.Backups"/>), their checksums and
/// chains. A backup's record keeps the file it was written to, so backups taken before the backup directory was moved
/// are still found, restored and deleted where they are.
/// </summary>
public sealed class BackupFiles(KrautPaths paths)
{
    public string Root => paths.Backups;

    /// <summary>Named by ids only: nothing of a request ever becomes part of the path.</summary>
    public string FileFor(Guid vmId, Guid backupId) => Path.Combine(Root, vmId.ToString("D"), backupId.ToString("D") + ".qcow2");

    public string TemporaryFor(Guid vmId, Guid backupId) => FileFor(vmId, backupId) + ".tmp";

    public static async Task<string> Sha256Async(string file, CancellationToken ct)
    {
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }

    /// <summary>
    /// The backup and the ones it builds on, newest first, each checked against its recorded checksum: a chain with a
    /// missing, unfinished or changed link is refused with the reason rather than restored wrong.
    /// </summary>
    public static async Task<IReadOnlyList<Resource<BackupSpec, BackupStatus>>> VerifiedChainAsync(Resource<BackupSpec, BackupStatus> top,
        Func<Guid, Task<Resource<BackupSpec, BackupStatus>?>> find, CancellationToken ct)
    {
        var chain = new List<Resource<BackupSpec, BackupStatus>>();
        for (var link = top; ;)
        {
            if (link.Status.Phase != BackupPhase.Completed || link.Status.File is not { } file)
                throw new ConflictException($"Backup '{link.Name}' is {link.Status.Phase.ToString().ToLowerInvariant()}, not completed; only a completed backup can be restored.");
            if (!File.Exists(file)) throw new ConflictException($"The file of backup '{link.Name}' is missing from {Path.GetDirectoryName(file)}.");
            if (await Sha256Async(file, ct) != link.Status.Sha256)
                throw new ConflictException($"The file of backup '{link.Name}' no longer matches its checksum; it was changed or damaged since it was taken.");
            chain.Add(link);
            if (link.Status.ParentId is not { } parentId) return chain;
            link = await find(parentId) ?? throw new ConflictException($"Backup '{link.Name}' builds on backup {parentId}, which is gone.");
        }
    }

    /// <summary>One standalone qcow2 at <paramref name="target"/> from a verified chain (incrementals name their parent as backing).</summary>
    public static Task FlattenAsync(IReadOnlyList<Resource<BackupSpec, BackupStatus>> chain, string target, IProgress<double>? progress, CancellationToken ct) =>
        QemuImg.FlattenAsync(chain[0].Status.File!, target, progress, ct);
}
