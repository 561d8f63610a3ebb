using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Images;

/// <summary>
/// Image content in a directory Kraut owns. Files are named by image id only: a user's name never becomes a path.
/// </summary>
public sealed class ImageStorage(KrautPaths paths, IServiceScopeFactory scopes, ILogger<ImageStorage> logger)
{
    public string PathFor(Guid imageId, ImageFormat format) =>
        Path.Combine(paths.Images, imageId.ToString("D") + "." + format.ToString().ToLowerInvariant());

    /// <summary>Content still arriving (upload or download); kept for resuming.</summary>
    public string PartialPath(Guid imageId) => Path.Combine(Incoming, imageId.ToString("D") + ".part");

    /// <summary>Content that arrived whole (checksum checked), waiting for the pipeline to inspect and convert it.</summary>
    public string ArrivedPath(Guid imageId) => Path.Combine(Incoming, imageId.ToString("D") + ".arrived");

    /// <summary>Where the pipeline writes a conversion before renaming it into place.</summary>
    public string WorkPath(Guid imageId) => Path.Combine(Work, imageId.ToString("D") + ".tmp");

    public string Incoming => Directory.CreateDirectory(Path.Combine(paths.Images, "incoming")).FullName;
    public string Work => Directory.CreateDirectory(Path.Combine(paths.Images, "work")).FullName;

    public void DeleteIfUnreferenced(Guid imageId)
    {
        using var scope = scopes.CreateScope();
        var reader = scope.ServiceProvider.GetRequiredService<KindReader>();
        if (reader.Rows(Kinds.Images).Any(r => r.Id == imageId)) return;
        foreach (var format in Enum.GetValues<ImageFormat>()) DeleteFile(PathFor(imageId, format));
        foreach (var path in new[] { PartialPath(imageId), ArrivedPath(imageId), WorkPath(imageId) }) DeleteFile(path);
    }

    /// <summary>Removes content whose record is gone (a crash between the two deletions).</summary>
    public async Task CollectOrphansAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var known = (await scope.ServiceProvider.GetRequiredService<KindReader>().IdsAsync(Kinds.Images, ct)).ToHashSet();
        foreach (var file in Directory.EnumerateFiles(paths.Images).Concat(Directory.EnumerateFiles(Incoming)).Concat(Directory.EnumerateFiles(Work)))
        {
            if (Guid.TryParse(Path.GetFileName(file).Split('.')[0], out var id) && !known.Contains(id)) DeleteFile(file);
        }
    }

    private void DeleteFile(string path)
    {
        if (!File.Exists(path)) return;
        File.Delete(path);
        logger.LogInformation("Removed image content {Path}", path);
    }
}
