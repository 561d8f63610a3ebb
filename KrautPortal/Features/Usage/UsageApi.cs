using System.Globalization;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Usage;

/// <summary>A VM's usage over a range: points oldest first (raw samples up to a day, hourly averages beyond).</summary>
public sealed record VmUsageResponse(Guid VmId, string Range, int IntervalSeconds, IReadOnlyList<UsagePoint> Points);

public sealed record ShowbackResponse(DateTime From, DateTime To, IReadOnlyList<ShowbackLine> Owners);

public sealed record InstallationUsageResponse(string Range, IReadOnlyList<UsageTotalPoint> Points);

/// <summary>Usage over the API: a VM's series, showback per owner (JSON or CSV), and the installation's totals for administrators.</summary>
public static class UsageApi
{
    public static void MapUsage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/vms/{id}/usage", VmUsageAsync).WithTags("Usage").WithName("GetVmUsage")
            .WithSummary("The VM's CPU %, memory used and disk/network rates over range=1h|1d|1w|30d (raw samples up to 1d, hourly beyond).");
        app.MapGet("/api/v1/usage/showback", ShowbackAsync).WithTags("Usage").WithName("GetShowback")
            .WithSummary("VM-, vCPU-, memory GiB- and disk GiB-hours per owner in [from, to) (default: the last 30 days), format=json|csv. "
                + "Administrators see every owner, others their own and their groups'.");
        app.MapGet("/api/v1/usage/installation", InstallationAsync).WithTags("Usage").WithName("GetInstallationUsage")
            .WithSummary("Running VMs, vCPUs, CPU %, memory used and disk/network rates of the whole installation over range=1d|1w (administrators only).");
    }

    public static async Task<Ok<VmUsageResponse>> VmUsageAsync(ResourceService<VmSpec, VmStatus> vms, UsageQueries queries,
        Microsoft.Extensions.Options.IOptions<UsageOptions> options, string id, string? range, CancellationToken ct)
    {
        var parsed = ParseRange(range, UsageRange.All);
        // The VM's own GET decides who may see it: another tenant gets its 404 before any sample is read.
        var vm = await vms.GetAsync(Api.ApiIds.Parse(id), ct);
        var points = await queries.VmSeriesAsync(vm.Id, parsed, ct);
        return TypedResults.Ok(new VmUsageResponse(vm.Id, parsed.Name, parsed.FromRawSamples ? options.Value.IntervalSeconds : 3600, points));
    }

    public static async Task<IResult> ShowbackAsync(UsageQueries queries, IActorAccessor actors, TimeProvider time,
        string? from, string? to, string? format, CancellationToken ct)
    {
        var actor = DemandReadVms(actors.Current);
        var now = time.GetUtcNow().UtcDateTime;
        var end = ParseTime(to, "to") ?? now;
        var start = ParseTime(from, "from") ?? end.AddDays(-30);
        if (start >= end) throw new BadRequestException("Bad period", "from must be before to.");
        var csv = format switch
        {
            null or "json" => false,
            "csv" => true,
            _ => throw new BadRequestException("Bad format", $"format must be json or csv, not '{format}'."),
        };

        var lines = await queries.ShowbackAsync(start, end, UsageQueries.OwnersVisibleTo(actor), ct);
        if (!csv) return TypedResults.Ok(new ShowbackResponse(start, end, lines));
        var name = $"kraut-showback-{start:yyyyMMddTHHmm}-{end:yyyyMMddTHHmm}.csv";
        return TypedResults.File(System.Text.Encoding.UTF8.GetBytes(Showback.ToCsv(lines)), "text/csv; charset=utf-8", name);
    }

    public static async Task<Ok<InstallationUsageResponse>> InstallationAsync(UsageQueries queries, IActorAccessor actors, string? range, CancellationToken ct)
    {
        var actor = DemandReadVms(actors.Current);
        if (!actor.IsAdmin) throw new ForbiddenException("Only administrators see the installation's usage.");
        var parsed = ParseRange(range ?? "1d", [UsageRange.Day, UsageRange.Week]);
        return TypedResults.Ok(new InstallationUsageResponse(parsed.Name, await queries.TotalsAsync(parsed, null, ct)));
    }

    /// <summary>Usage reveals what VMs do: a limited token needs the right to read VMs.</summary>
    private static Actor DemandReadVms(Actor actor) =>
        actor.Scope is { } scope && !scope.Allows(Verbs.Read, Kinds.Vms.Name)
            ? throw new ForbiddenException($"This token may not read {Kinds.Vms.Plural}, so it may not read their usage either.")
            : actor;

    private static UsageRange ParseRange(string? range, IReadOnlyList<UsageRange> allowed) =>
        allowed.FirstOrDefault(r => r.Name == (range ?? allowed[0].Name))
        ?? throw new BadRequestException("Bad range", $"range must be one of {string.Join(", ", allowed.Select(r => r.Name))}, not '{range}'.");

    private static DateTime? ParseTime(string? value, string name)
    {
        if (string.IsNullOrEmpty(value)) return null;
        return DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : throw new BadRequestException("Bad time", $"{name} must be an ISO-8601 time such as 2026-12-01T00:00:00Z, not '{value}'.");
    }
}
