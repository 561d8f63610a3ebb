using System.Text.Json;
using KrautPortal.Features.Api;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Quotas;

/// <summary>
/// Quotas in the API: everyone reads their own standing (<c>/mine</c>); administrators list, read, set and remove quotas
/// of users, groups and the two defaults (<c>/quotas/users/alice</c>, <c>/quotas/defaults/groups</c>). Counts and bytes.
/// </summary>
public static class QuotasApi
{
    /// <summary>A quota as set, with what its subject uses now (defaults: no use of their own).</summary>
    public sealed record QuotaView(string Type, string Name, QuotaLimits Limits, QuotaLimits? Effective, QuotaUse? Used, long Version, DateTime UpdatedAt);

    public sealed record QuotaBody(QuotaLimits Limits);

    public static void MapQuotas(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/quotas").WithTags("quotas");
        group.MapGet("/mine", MineAsync).WithName("MyQuotas")
            .WithSummary("Your use against your quota, for yourself and each of your groups: limits (absent: no limit) and use, in counts and bytes.");
        group.MapGet("/", ListAsync).WithName("ListQuotas").WithSummary("Every quota set, with its subject's use (administrators).");
        group.MapGet("/{type}/{name}", GetAsync).WithName("GetQuota")
            .WithSummary("One quota: type is users, groups or defaults (name: users or groups); its limits, effective limits and use (administrators).");
        group.MapPut("/{type}/{name}", SetAsync).WithName("SetQuota")
            .WithSummary("Set a quota's limits ({\"limits\": {\"vms\": 10, \"vcpus\": 16, \"memoryBytes\": …}}); absent limits: the default's, or none for a default (administrators).");
        group.MapDelete("/{type}/{name}", RemoveAsync).WithName("RemoveQuota").WithSummary("Remove a quota: its subject falls back to the defaults (administrators).");
        group.MapGet("/{type}/{name}/history", HistoryAsync).WithName("QuotaHistory").WithSummary("Every change of one quota, newest first (administrators).");
    }

    public static async Task<Ok<IReadOnlyList<QuotaStanding>>> MineAsync(QuotaService quotas, IActorAccessor actors, CancellationToken ct) =>
        TypedResults.Ok(await quotas.MineAsync(actors.Current, ct));

    public static async Task<Ok<IReadOnlyList<QuotaView>>> ListAsync(QuotaService quotas, IActorAccessor actors, CancellationToken ct)
    {
        var views = new List<QuotaView>();
        foreach (var quota in await quotas.ListAsync(actors.Current, ct)) views.Add(await ViewAsync(quota, quotas, ct));
        return TypedResults.Ok<IReadOnlyList<QuotaView>>(views);
    }

    public static async Task<Ok<QuotaView>> GetAsync(string type, string name, QuotaService quotas, IActorAccessor actors, CancellationToken ct)
    {
        var subject = Subject(type, name);
        var quota = await quotas.FindAsync(subject, actors.Current, ct) ?? throw new QuotaNotFoundException(subject);
        return TypedResults.Ok(await ViewAsync(quota, quotas, ct));
    }

    public static async Task<Ok<QuotaView>> SetAsync(string type, string name, HttpRequest request, QuotaService quotas, IActorAccessor actors, CancellationToken ct)
    {
        var actor = actors.Current;
        QuotaService.DemandAdmin(actor);
        var body = await JsonBodyReader.ReadObjectAsync(request, ct);
        QuotaBody parsed;
        try
        {
            parsed = body.Deserialize<QuotaBody>(KrautJson.Options) ?? throw new ValidationException("limits", "Required.");
        }
        catch (JsonException e)
        {
            throw new ValidationException(e.Path is { Length: > 2 } path ? path[2..] : "limits", "Limits are whole numbers of 0 or more (bytes for memoryBytes, diskBytes, imageBytes, backupBytes): " + e.Message);
        }
        var stored = await quotas.SetAsync(Subject(type, name), parsed.Limits, actor, ct);
        return TypedResults.Ok(await ViewAsync(stored, quotas, ct));
    }

    public static async Task<NoContent> RemoveAsync(string type, string name, QuotaService quotas, IActorAccessor actors, CancellationToken ct)
    {
        var subject = Subject(type, name);
        if (!await quotas.RemoveAsync(subject, actors.Current, ct)) throw new QuotaNotFoundException(subject);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<IReadOnlyList<HistoryEntry>>> HistoryAsync(string type, string name, QuotaService quotas, IActorAccessor actors, CancellationToken ct) =>
        TypedResults.Ok(await quotas.HistoryAsync(Subject(type, name), actors.Current, ct));

    private static QuotaSubject Subject(string type, string name)
    {
        if (QuotaSubject.Problem(type, name) is { } problem) throw new BadRequestException("No such quota", problem);
        return new QuotaSubject(type, name);
    }

    private static async Task<QuotaView> ViewAsync(StoredQuota quota, QuotaService quotas, CancellationToken ct)
    {
        var subject = new QuotaSubject(quota.Type, quota.Name);
        var standing = subject.IsDefault ? null : await quotas.StandingAsync(subject, ct);
        return new QuotaView(quota.Type, quota.Name, quota.Limits, standing?.Limits, standing?.Used, quota.Version, quota.UpdatedAt);
    }
}
