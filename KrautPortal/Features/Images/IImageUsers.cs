using KrautPortal.Features.Store;

namespace KrautPortal.Features.Images;

/// <summary>
/// "Who still uses this image?", asked before an image is deleted. Images sit below the kinds made from them and never
/// read their records: each such kind answers (Vms/VmImageUsers.cs), registered as one of many.
/// </summary>
public interface IImageUsers
{
    /// <summary>Throws a conflict naming the users (those <paramref name="actor"/> may see) of the image, when there are any.</summary>
    Task EnsureUnusedAsync(Guid imageId, string what, Actor actor, CancellationToken ct);
}
