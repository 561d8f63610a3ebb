using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.BackupSchedules;

/// <summary>
/// Who a schedule's run acts as: its owner, with the groups their password source gives them now and the administrator
/// role the configuration gives them (as a token acts as its creator). An owner the sources do not know (a group, a
/// removed user) acts with no groups and no more than its own objects: a schedule never reaches further than its owner.
/// </summary>
public sealed class ScheduleActor(IdentityCheck identities, RoleMapper roles)
{
    public const string Via = "backup-schedule";
    private const string GodPrefix = "god:";

    public async Task<Actor> ForAsync(string owner, CancellationToken ct)
    {
        var verdict = await identities.CheckAsync(owner, [], _ => Task.FromResult<DateTime?>(null), ct);
        var actor = roles.ActorFor(owner, verdict.Refusal is null ? verdict.Groups : [], Via);
        // A god token is an administrator by configuration, as long as it is still configured (the check says so).
        return owner.StartsWith(GodPrefix, StringComparison.Ordinal) && verdict.Refusal is null ? actor with { IsAdmin = true } : actor;
    }
}
