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

    public void DeleteIfUnreferenced(Guid imageId)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
        if (db.Resources.Any(r => r.Kind == Kinds.Images.Name && r.Id == imageId)) return;
        foreach (var format in Enum.GetValues<ImageFormat>()) DeleteFile(PathFor(imageId, format));
    }

    /// <summary>Removes content whose record is gone (a crash between the two deletions).</summary>
    public async Task CollectOrphansAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
        var known = (await db.Resources.Where(r => r.Kind == Kinds.Images.Name).Select(r => r.Id).ToListAsync(ct)).ToHashSet();
        foreach (var file in Directory.EnumerateFiles(paths.Images))
        {
            if (Guid.TryParse(Path.GetFileNameWithoutExtension(file), out var id) && !known.Contains(id)) DeleteFile(file);
        }
    }

    private void DeleteFile(string path)
    {
        if (!File.Exists(path)) return;
        File.Delete(path);
        logger.LogInformation("Removed image content {Path}", path);
    }
}
