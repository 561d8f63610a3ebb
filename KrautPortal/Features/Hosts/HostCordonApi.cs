using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Hosts;

/// <summary>
/// <c>POST /api/v1/hosts/{id}/cordon</c> and <c>/uncordon</c> (administrators only): a cordoned host keeps its VMs and
/// takes no new ones. {id} is the host's id from <c>GET /api/v1/hosts</c>.
/// </summary>
public static class HostCordonApi
{
    public static void MapHostCordons(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/hosts/{id}/cordon", CordonAsync).WithTags("hosts").WithName("CordonHost")
            .WithSummary("Cordon a host: it keeps its VMs but the scheduler places no new VM there (administrators only).");
        app.MapPost("/api/v1/hosts/{id}/uncordon", UncordonAsync).WithTags("hosts").WithName("UncordonHost")
            .WithSummary("Uncordon a host: the scheduler may place new VMs there again (administrators only).");
    }

    public static async Task<Ok<HostInfo>> CordonAsync(string id, HostRegistry hosts, HostCordons cordons, IActorAccessor actors, CancellationToken ct)
    {
        var (host, actor) = Resolve(id, hosts, actors, "cordon");
        await cordons.CordonAsync(host.Uri, actor.Name, ct);
        return TypedResults.Ok(await DescribeAsync(host, cordons, ct));
    }

    public static async Task<Ok<HostInfo>> UncordonAsync(string id, HostRegistry hosts, HostCordons cordons, IActorAccessor actors, CancellationToken ct)
    {
        var (host, _) = Resolve(id, hosts, actors, "uncordon");
        await cordons.UncordonAsync(host.Uri, ct);
        return TypedResults.Ok(await DescribeAsync(host, cordons, ct));
    }

    private static (KrautHost Host, Actor Actor) Resolve(string id, HostRegistry hosts, IActorAccessor actors, string verb)
    {
        var actor = actors.Current;
        if (!actor.IsAdmin) throw new ForbiddenException($"Only administrators may {verb} a host: it decides where every tenant's new VMs go.");
        var host = hosts.Resolve(id);
        return (host, actor);
    }

    private static async Task<HostInfo> DescribeAsync(KrautHost host, HostCordons cordons, CancellationToken ct) =>
        HostsApi.Describe(host) with { Cordon = (await cordons.AllAsync(ct)).GetValueOrDefault(host.Uri) };
}

public sealed class HostNotFoundException(string id)
    : KrautProblemException(404, "Not found", $"There is no host with id '{id}'; GET /api/v1/hosts lists each host's id.");
