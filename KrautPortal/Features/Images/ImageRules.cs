using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Images;

public sealed class ImageRules(IEnumerable<IImageUsers> users, ImageStorage storage) : IResourceRules<ImageSpec, ImageStatus>
{
    public KindInfo Kind => Kinds.Images;
    public bool DeletesAsynchronously => false;

    public Task<ImageSpec> PrepareAsync(ImageSpec spec, Resource<ImageSpec, ImageStatus>? existing, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        if (!Architectures.All.Contains(spec.Architecture))
            errors.Add("spec.architecture", $"Unknown architecture '{spec.Architecture}'; use {string.Join(" or ", Architectures.All)}.");
        if (spec.MinMemoryMiB is < 0 or > MachineTypeRules.MaxMemoryMiB) errors.Add("spec.minMemoryMiB", "Must be between 0 and 4194304.");
        if (spec.MinDiskGiB is < 0 or > 65536) errors.Add("spec.minDiskGiB", "Must be between 0 and 65536.");
        if (spec.OsName is { Length: > 100 }) errors.Add("spec.osName", "At most 100 characters.");
        return Task.FromResult(spec);
    }

    public ImageStatus InitialStatus(ImageSpec spec) => new();

    public async Task EnsureDeletableAsync(Resource<ImageSpec, ImageStatus> existing, Actor actor, CancellationToken ct)
    {
        foreach (var user in users) await user.EnsureUnusedAsync(existing.Id, $"Image '{existing.Name}'", actor, ct);
    }

    /// <summary>Once the record is gone its content goes too; a crash in between is collected at start-up.</summary>
    public void Changed(Guid id) => storage.DeleteIfUnreferenced(id);
}
