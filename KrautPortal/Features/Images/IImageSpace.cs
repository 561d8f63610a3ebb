namespace KrautPortal.Features.Images;

/// <summary>
/// Asked when an image's content has arrived, before it is checked and converted: may <paramref name="owner"/> store
/// <paramref name="bytes"/> more? A higher feature answers (Quotas); a refusal fails the image with its sentence and
/// nothing of the content stays.
/// </summary>
public interface IImageSpace
{
    Task<string?> RefusalAsync(string owner, Guid imageId, long bytes, CancellationToken ct);
}
