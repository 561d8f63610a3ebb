using KrautPortal.Features.Store;
using KrautPortal.Features.Store.Selectors;

namespace KrautPortal.Features.BackupSchedules;

/// <summary>
/// A schedule names one VM its owner may see, or a selector (matched at each run against the VMs the owner may see
/// then, never anyone else's). Deleting one stops it; the backups it took stay, as backups taken by hand do.
/// </summary>
public sealed class BackupScheduleRules(ResourceStore store, BackupScheduler scheduler)
    : IResourceRules<BackupScheduleSpec, BackupScheduleStatus>, IOwnerRules<BackupScheduleSpec>
{
    public const int MaxKeep = 1000;

    public KindInfo Kind => Kinds.BackupSchedules;
    public bool DeletesAsynchronously => false;

    public async Task<BackupScheduleSpec> PrepareAsync(BackupScheduleSpec spec, Resource<BackupScheduleSpec, BackupScheduleStatus>? existing, Actor actor,
        ValidationErrors errors, CancellationToken ct)
    {
        // Runs act as the owner, not as the token: a token may make a schedule only if it could take and prune those backups itself.
        if (actor.Scope is { } scope && !(scope.Allows(Verbs.Create, Kinds.Backups.Name) && scope.Allows(Verbs.Delete, Kinds.Backups.Name)))
            throw new ForbiddenException("A backup schedule's runs take and delete backups with its owner's rights; this token may make one only if it may create and delete backups too.");
        // A selector-limited token reaches only objects its selector matches; the runs would reach every VM and backup of the
        // owner the schedule names, so such a token could act beyond its limit through a schedule.
        if (actor.Scope is { Selector: { Length: > 0 } limit })
            throw new ForbiddenException($"A backup schedule's runs act with its owner's full rights, beyond this token's selector ({limit}); make or change schedules with a token without a selector, or in the portal.");
        var selector = string.IsNullOrWhiteSpace(spec.Selector) ? null : spec.Selector.Trim();
        if (selector is null == spec.VmId is null)
            errors.Add("spec", "A schedule backs up either one VM (spec.vmId) or the VMs a selector matches (spec.selector, e.g. env=prod): give exactly one.");
        if (selector is not null)
        {
            try
            {
                SelectorParser.Parse(selector);
            }
            catch (SelectorParseException e)
            {
                errors.Add("spec.selector", e.Message + $" (in \"{selector}\")");
            }
        }
        if (spec.VmId is { } vmId && await store.FindAsync(Kinds.Vms.Name, vmId, actor, ct) is null)
            errors.Add("spec.vmId", $"There is no VM with id {vmId}.");
        if (ScheduleEvery.Parse(spec.Every) is null) errors.Add("spec.every", ScheduleEvery.Explained + $" '{spec.Every}' is none of these.");
        if (spec.Keep is < 1 or > MaxKeep) errors.Add("spec.keep", $"keep is how many completed backups stay per VM: from 1 to {MaxKeep} (got {spec.Keep}).");
        if (spec.FullEvery is < 1 or > MaxKeep) errors.Add("spec.fullEvery", $"fullEvery is every how many backups one is full: from 1 to {MaxKeep}, or absent (got {spec.FullEvery}).");
        if (existing is not null) await CheckOwnerAsync(spec, existing.Owner, actor, errors, ct);
        return spec with { Selector = selector, Every = spec.Every.Trim().ToLowerInvariant() };
    }

    /// <summary>A schedule of one VM belongs to the VM's owner: its backups are theirs, taken with their rights.</summary>
    public async Task CheckOwnerAsync(BackupScheduleSpec spec, string owner, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        if (spec.VmId is { } vmId && await store.FindAsync(Kinds.Vms.Name, vmId, actor, ct) is { } row && row.Owner != owner)
            errors.Add("owner", $"VM '{row.Name}' belongs to {row.Owner}, so a schedule of it belongs to {row.Owner} too, not to {owner}.");
    }

    public BackupScheduleStatus InitialStatus(BackupScheduleSpec spec) => new();

    public Task EnsureDeletableAsync(Resource<BackupScheduleSpec, BackupScheduleStatus> existing, Actor actor, CancellationToken ct) => Task.CompletedTask;

    public void Changed(Guid id) => scheduler.Enqueue(id);
}
