using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Features.Images.Upload;

/// <summary>
/// The files of content on its way in: the partial content (<c>&lt;id&gt;.part</c>), the checksum its client
/// expects (<c>&lt;id&gt;.part.sha256</c>, so a resumed upload still checks it), and the whole content once it arrived.
/// </summary>
public sealed class IncomingFiles(ImageStorage storage, ILogger<IncomingFiles> logger)
{
    public string PartPath(Guid imageId) => storage.PartialPath(imageId);
    public string ArrivedPath(Guid imageId) => storage.ArrivedPath(imageId);
    public string ExpectedPath(Guid imageId) => storage.PartialPath(imageId) + ".sha256";

    /// <summary>Bytes of partial content stored so far: where a resumed upload continues.</summary>
    public long PartLength(Guid imageId)
    {
        var info = new FileInfo(PartPath(imageId));
        return info.Exists ? info.Length : 0;
    }

    public bool HasPart(Guid imageId) => File.Exists(PartPath(imageId));

    public string? ReadExpected(Guid imageId)
    {
        var path = ExpectedPath(imageId);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    public void WriteExpected(Guid imageId, string? sha256)
    {
        if (sha256 is null) Delete(ExpectedPath(imageId));
        else File.WriteAllText(ExpectedPath(imageId), sha256);
    }

    /// <summary>Removes partial content and its expected checksum: nothing half-made stays behind.</summary>
    public void Discard(Guid imageId)
    {
        Delete(PartPath(imageId));
        Delete(ExpectedPath(imageId));
    }

    /// <summary>
    /// Partial content that is complete and checked becomes arrived content, in one rename. Its bytes were flushed
    /// while receiving; the directory is synced as the pipeline does when it publishes, so a crash right after the
    /// image says "checking" cannot bring back the partial name.
    /// </summary>
    public void Promote(Guid imageId)
    {
        var arrived = ArrivedPath(imageId);
        File.Move(PartPath(imageId), arrived, overwrite: true);
        DurableFiles.SyncDirectory(Path.GetDirectoryName(arrived)!);
        Delete(ExpectedPath(imageId));
    }

    public void DiscardArrived(Guid imageId) => Delete(ArrivedPath(imageId));

    private void Delete(string path)
    {
        if (!File.Exists(path)) return;
        File.Delete(path);
        logger.LogInformation("Removed incoming image content {Path}", path);
    }
}
