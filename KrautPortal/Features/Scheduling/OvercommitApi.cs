using System.Text.Json;
using KrautPortal.Features.Api;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Scheduling;

/// <param name="Id">The host in URLs, as <c>GET /api/v1/hosts</c> shows it.</param>
/// <param name="Values">What is set for this host itself (a field left out: not set here, inherited).</param>
/// <param name="Effective">What applies: each value with where it comes from (host, installation or default).</param>
public sealed record HostOvercommitView(string Id, string Host, OvercommitValues Values, EffectiveOvercommit Effective);

/// <param name="Defaults">The <c>Capacity</c> configuration: what applies where nothing is set.</param>
/// <param name="Installation">What is set for every host (a field left out: the default applies).</param>
/// <param name="Effective">What applies to a host with no values of its own.</param>
public sealed record OvercommitView(OvercommitValues Defaults, OvercommitValues Installation, EffectiveOvercommit Effective, IReadOnlyList<HostOvercommitView> Hosts);

/// <summary>
/// Overcommit ratios and the host's reserved memory, set at runtime (administrators only; everyone else 403):
/// <c>/api/v1/overcommit</c> for the installation, <c>/api/v1/hosts/{id}/overcommit</c> for one host. A PUT replaces the
/// level's values: fields left out or null inherit (host → installation → configuration).
/// </summary>
public static class OvercommitApi
{
    public static void MapOvercommit(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/overcommit", GetAsync).WithTags("hosts").WithName("GetOvercommit")
            .WithSummary("Overcommit: the configured defaults, the installation's values, and every host's own and effective values with their source (administrators only).");
        app.MapPut("/api/v1/overcommit", SetAsync).WithTags("hosts").WithName("SetOvercommit")
            .WithSummary("Set the installation's overcommit {cpu, memory, disk, reservedMemoryMiB}; a field left out or null falls back to the configuration (administrators only).");
        app.MapGet("/api/v1/overcommit/history", HistoryAsync).WithTags("hosts").WithName("OvercommitHistory")
            .WithSummary("Every change of the installation's overcommit, newest first (administrators only).");
        app.MapGet("/api/v1/hosts/{id}/overcommit", GetHostAsync).WithTags("hosts").WithName("GetHostOvercommit")
            .WithSummary("One host's overcommit: its own values and the effective ones with their source (administrators only).");
        app.MapPut("/api/v1/hosts/{id}/overcommit", SetHostAsync).WithTags("hosts").WithName("SetHostOvercommit")
            .WithSummary("Set one host's overcommit {cpu, memory, disk, reservedMemoryMiB}; a field left out or null inherits the installation's (administrators only).");
        app.MapGet("/api/v1/hosts/{id}/overcommit/history", HostHistoryAsync).WithTags("hosts").WithName("HostOvercommitHistory")
            .WithSummary("Every change of one host's overcommit, newest first (administrators only).");
    }

    public static async Task<Ok<OvercommitView>> GetAsync(OvercommitSettings settings, HostRegistry hosts, IActorAccessor actors, CancellationToken ct)
    {
        OvercommitSettings.DemandAdmin(actors.Current);
        return TypedResults.Ok(View(await settings.ReadAsync(ct), hosts));
    }

    public static async Task<Ok<OvercommitView>> SetAsync(HttpRequest request, OvercommitChanges changes, HostRegistry hosts, IActorAccessor actors, CancellationToken ct)
    {
        OvercommitSettings.DemandAdmin(actors.Current);
        var values = await ReadBodyAsync(request, ct);
        return TypedResults.Ok(View(await changes.SetAsync(null, values, actors.Current, ct), hosts));
    }

    public static async Task<Ok<IReadOnlyList<HistoryEntry>>> HistoryAsync(OvercommitSettings settings, IActorAccessor actors, CancellationToken ct) =>
        TypedResults.Ok(await settings.HistoryAsync(null, actors.Current, ct));

    public static async Task<Ok<HostOvercommitView>> GetHostAsync(string id, OvercommitSettings settings, HostRegistry hosts, IActorAccessor actors, CancellationToken ct)
    {
        OvercommitSettings.DemandAdmin(actors.Current);
        return TypedResults.Ok(View(await settings.ReadAsync(ct), hosts.Resolve(id).Uri));
    }

    public static async Task<Ok<HostOvercommitView>> SetHostAsync(string id, HttpRequest request, OvercommitChanges changes, HostRegistry hosts,
        IActorAccessor actors, CancellationToken ct)
    {
        OvercommitSettings.DemandAdmin(actors.Current);
        var host = hosts.Resolve(id);
        var values = await ReadBodyAsync(request, ct);
        return TypedResults.Ok(View(await changes.SetAsync(host, values, actors.Current, ct), host.Uri));
    }

    public static async Task<Ok<IReadOnlyList<HistoryEntry>>> HostHistoryAsync(string id, OvercommitSettings settings, HostRegistry hosts,
        IActorAccessor actors, CancellationToken ct)
    {
        OvercommitSettings.DemandAdmin(actors.Current);
        return TypedResults.Ok(await settings.HistoryAsync(hosts.Resolve(id).Uri, actors.Current, ct));
    }

    public static HostOvercommitView View(HostOvercommits o, string host) =>
        new(HostIds.For(host), host, o.Hosts.GetValueOrDefault(host) ?? new OvercommitValues(), o.Explain(host));

    public static OvercommitView View(HostOvercommits o, HostRegistry hosts) =>
        new(new OvercommitValues(o.Defaults.CpuOvercommit, o.Defaults.MemoryOvercommit, o.Defaults.DiskOvercommit, o.Defaults.HostMemoryReserveMiB),
            o.Installation, o.Explain(null), hosts.Hosts.Select(h => View(o, h.Uri)).ToList());

    /// <summary>The body as values; a field Kraut does not know or a value of the wrong type is a 422 naming the field.</summary>
    private static async Task<OvercommitValues> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        var body = await JsonBodyReader.ReadObjectAsync(request, ct);
        var unknown = new ValidationErrors();
        foreach (var (key, _) in body)
            if (key is not ("cpu" or "memory" or "disk" or "reservedMemoryMiB"))
                unknown.Add(key, $"'{key}' is not a field here; expected cpu, memory, disk and reservedMemoryMiB.");
        unknown.ThrowIfAny();
        try
        {
            return body.Deserialize<OvercommitValues>(KrautJson.Options) ?? new OvercommitValues();
        }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 2 } path ? path[2..] : "body";
            throw new ValidationException(field,
                $"Expected {{cpu, memory, disk}} as numbers (ratios) and reservedMemoryMiB as a whole number, each optional: {e.Message}");
        }
    }
}
