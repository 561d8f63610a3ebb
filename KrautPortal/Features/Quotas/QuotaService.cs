using KrautPortal.Features.Store;

namespace KrautPortal.Features.Quotas;

/// <summary>
/// Quotas, kept as versioned objects in the store (kind <c>quotas</c>, history and all) under an owner no person has, so
/// only administrators see them; one per subject, named by its key (<c>users/alice</c>). Administrators set them; the
/// effective limits of a user or group are their own quota's limits, each absent one taken from the defaults.
/// </summary>
public sealed class QuotaService(ResourceStore store, QuotaMeter meter)
{
    public static readonly KindInfo Kind = new("quotas", "quota", "quotas");

    /// <summary>The owner of every quota object: not a user or group name (htpasswd names cannot hold ':').</summary>
    public const string Owner = "kraut:quotas";

    public static void DemandAdmin(Actor actor)
    {
        if (!actor.IsAdmin) throw new ForbiddenException("Only administrators manage quotas; see your own use at /api/v1/quotas/mine.");
    }

    public async Task<IReadOnlyList<StoredQuota>> ListAsync(Actor actor, CancellationToken ct)
    {
        DemandAdmin(actor);
        return (await store.ListOwnedAsync(Kind.Name, Owner, ct)).Select(StoredQuota.FromRow).OfType<StoredQuota>().ToList();
    }

    public async Task<StoredQuota?> FindAsync(QuotaSubject subject, Actor actor, CancellationToken ct)
    {
        DemandAdmin(actor);
        return (await store.FindByNamesAsync(Kind.Name, Owner, [subject.Key], ct)).Select(StoredQuota.FromRow).FirstOrDefault();
    }

    /// <summary>Sets (creates or replaces) the quota of <paramref name="subject"/>; a new version in its history.</summary>
    public async Task<StoredQuota> SetAsync(QuotaSubject subject, QuotaLimits limits, Actor actor, CancellationToken ct)
    {
        DemandAdmin(actor);
        Validate(subject, limits);
        var spec = KrautJson.Serialize(limits);
        for (var attempt = 1; ; attempt++)
        {
            var existing = (await store.FindByNamesAsync(Kind.Name, Owner, [subject.Key], ct)).FirstOrDefault();
            try
            {
                var row = existing is null
                    ? await store.CreateAsync(new NewResource(Kind.Name, subject.Key, Owner, [], spec, "{}"), actor, ct)
                    : await store.UpdateAsync(Kind.Name, existing.Id, null, actor, r =>
                    {
                        r.Spec = spec;
                        return "limits changed";
                    }, ct);
                return StoredQuota.FromRow(row)!;
            }
            catch (ConflictException) when (existing is null && attempt < 3)
            {
                // Another administrator set this subject's first quota at the same moment: change theirs instead.
            }
        }
    }

    public async Task<bool> RemoveAsync(QuotaSubject subject, Actor actor, CancellationToken ct)
    {
        DemandAdmin(actor);
        if ((await store.FindByNamesAsync(Kind.Name, Owner, [subject.Key], ct)).FirstOrDefault() is not { } row) return false;
        await store.DeleteAsync(Kind.Name, row.Id, null, actor, ct);
        return true;
    }

    public async Task<IReadOnlyList<HistoryEntry>> HistoryAsync(QuotaSubject subject, Actor actor, CancellationToken ct)
    {
        DemandAdmin(actor);
        var row = (await store.FindByNamesAsync(Kind.Name, Owner, [subject.Key], ct)).FirstOrDefault()
            ?? throw new QuotaNotFoundException(subject);
        return await store.HistoryAsync(Kind.Name, row.Id, actor, ct);
    }

    private static void Validate(QuotaSubject subject, QuotaLimits limits)
    {
        var errors = new ValidationErrors();
        if (QuotaSubject.Problem(subject.Type, subject.Name) is { } problem) errors.Add("subject", problem);
        foreach (var m in QuotaMeasure.All)
            if (m.Limit(limits) is < 0) errors.Add($"limits.{m.Key}", "Must be 0 or more (leave it out for no limit).");
        errors.ThrowIfAny();
    }

    /// <summary>
    /// Whom an owner's objects count against: the actor themselves, or one of their groups. An owner the actor is neither
    /// (an administrator acting for someone) is a group when a group quota of that name is set, else a user.
    /// </summary>
    public async Task<QuotaSubject> SubjectOfAsync(string owner, Actor actor, CancellationToken ct)
    {
        if (owner == actor.Name) return QuotaSubject.User(owner);
        if (actor.Groups.Contains(owner)) return QuotaSubject.Group(owner);
        var group = QuotaSubject.Group(owner);
        return (await store.FindByNamesAsync(Kind.Name, Owner, [group.Key], ct)).Count > 0 ? group : QuotaSubject.User(owner);
    }

    /// <summary>The limits that hold for a user or group: its own where set, else the default's (one query).</summary>
    public async Task<QuotaLimits> EffectiveAsync(QuotaSubject subject, CancellationToken ct)
    {
        var fallback = subject.Fallback;
        var rows = await store.FindByNamesAsync(Kind.Name, Owner, fallback is null ? [subject.Key] : [subject.Key, fallback.Key], ct);
        QuotaLimits? Of(QuotaSubject? s) => s is null ? null : rows.Where(r => r.Name == s.Key).Select(r => KrautJson.Deserialize<QuotaLimits>(r.Spec)).FirstOrDefault();
        return QuotaLimits.Merge(Of(subject), Of(fallback));
    }

    /// <summary>The actor's use against their quota, for themselves and each of their groups.</summary>
    public async Task<IReadOnlyList<QuotaStanding>> MineAsync(Actor actor, CancellationToken ct)
    {
        var standings = new List<QuotaStanding>();
        foreach (var subject in new[] { QuotaSubject.User(actor.Name) }.Concat(actor.Groups.Select(QuotaSubject.Group)))
            standings.Add(await StandingAsync(subject, ct));
        return standings;
    }

    /// <summary>A user's or group's effective limits and use; for administrators (the admin page) or the subject themselves.</summary>
    public async Task<QuotaStanding> StandingAsync(QuotaSubject subject, CancellationToken ct) =>
        new(subject.Name, subject.Type, await EffectiveAsync(subject, ct), await meter.AllAsync(subject.Name, ct));
}

/// <summary>A quota as set by an administrator: its subject, its own limits (absent: the default's), version and last change.</summary>
public sealed record StoredQuota(string Type, string Name, QuotaLimits Limits, long Version, DateTime UpdatedAt)
{
    public static StoredQuota? FromRow(ResourceRow row) => QuotaSubject.FromKey(row.Name) is { } s
        ? new StoredQuota(s.Type, s.Name, KrautJson.Deserialize<QuotaLimits>(row.Spec), row.Version, row.UpdatedAt)
        : null;
}

/// <summary>One owner's limits (effective: own, else default; absent: no limit) and what they use.</summary>
/// <param name="Type"><c>users</c> or <c>groups</c>.</param>
public sealed record QuotaStanding(string Owner, string Type, QuotaLimits Limits, QuotaUse Used);

public sealed class QuotaNotFoundException(QuotaSubject subject)
    : KrautProblemException(404, "Not found", $"No quota is set for {subject.Key}; its limits are the defaults'.");
