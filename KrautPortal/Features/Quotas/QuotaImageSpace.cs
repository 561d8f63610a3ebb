using KrautPortal.Features.Images;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Quotas;

/// <summary>
/// Holds an image's arrived content to its owner's image storage quota, before conversion. Who uploaded is not known
/// here, so administrators' images are held too when a quota applies to their owner. Two uploads finishing at the same
/// moment are checked apart and may together pass the limit by the smaller one.
/// </summary>
public sealed class QuotaImageSpace(QuotaService quotas, QuotaMeter meter) : IImageSpace
{
    public async Task<string?> RefusalAsync(string owner, Guid imageId, long bytes, CancellationToken ct)
    {
        if (owner == Actor.SharedOwner) return null;
        var limits = await quotas.EffectiveAsync(await quotas.SubjectOfAsync(owner, Actor.System, ct), ct);
        if (limits.ImageBytes is not { } limit) return null;
        var used = (await meter.OfKindAsync(Kinds.Images.Name, owner, ct)).ImageBytes;
        return used + bytes > limit ? QuotaExceededException.Sentence(QuotaMeasure.ImageBytes, owner, used, limit, bytes, "this image") : null;
    }
}
