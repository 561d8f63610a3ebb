using KrautPortal.Features.Store;

namespace KrautPortal.Features.MachineTypes;

public sealed class MachineTypeRules(IEnumerable<IMachineTypeUsers> users) : IResourceRules<MachineTypeSpec, MachineTypeStatus>
{
    public const int MaxVcpus = 256;
    public const int MaxMemoryMiB = 4 * 1024 * 1024;

    public KindInfo Kind => Kinds.MachineTypes;
    public bool DeletesAsynchronously => false;

    public Task<MachineTypeSpec> PrepareAsync(MachineTypeSpec spec, Resource<MachineTypeSpec, MachineTypeStatus>? existing, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        if (!Architectures.All.Contains(spec.Architecture))
            errors.Add("spec.architecture", $"Unknown architecture '{spec.Architecture}'; use {string.Join(" or ", Architectures.All)}.");
        CheckRange("spec.vcpus", spec.Vcpus, 1, MaxVcpus, errors);
        CheckRange("spec.memoryMiB", spec.MemoryMiB, 64, MaxMemoryMiB, errors);
        return Task.FromResult(spec);
    }

    public MachineTypeStatus InitialStatus(MachineTypeSpec spec) => new();

    public async Task EnsureDeletableAsync(Resource<MachineTypeSpec, MachineTypeStatus> existing, Actor actor, CancellationToken ct)
    {
        foreach (var user in users) await user.EnsureUnusedAsync(existing.Id, $"Machine type '{existing.Name}'", actor, ct);
    }

    public void Changed(Guid id) { }

    private static void CheckRange(string field, Range range, int floor, int ceiling, ValidationErrors errors)
    {
        if (range.Min < floor) errors.Add(field + ".min", $"Must be at least {floor}.");
        if (range.Max > ceiling) errors.Add(field + ".max", $"Must be at most {ceiling}.");
        if (range.Min > range.Max) errors.Add(field, $"min ({range.Min}) is larger than max ({range.Max}).");
        else if (!range.Contains(range.Default)) errors.Add(field + ".default", $"The default ({range.Default}) must lie between min ({range.Min}) and max ({range.Max}).");
    }
}
