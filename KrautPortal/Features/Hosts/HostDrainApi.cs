using KrautPortal.Features.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Hosts;

/// <summary>
/// <c>POST /api/v1/hosts/{id}/drain</c> (administrators only): cordons the host and moves every VM on it elsewhere under
/// the scheduler's rules; <c>GET /api/v1/hosts</c> shows the progress in each host's <c>drain</c>.
/// </summary>
public static class HostDrainApi
{
    public static void MapHostDrains(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/v1/hosts/{id}/drain", DrainAsync).WithTags("hosts").WithName("DrainHost")
            .WithSummary("Drain a host (administrators only): cordon it and move every VM on it to other hosts the scheduler chooses, "
                + "one or two at a time; running VMs move only live, otherwise they stay and are reported (stop them to move them). "
                + "Returns at once; GET /api/v1/hosts shows the drain's progress.");

    public static async Task<Accepted<HostInfo>> DrainAsync(string id, HostRegistry hosts, HostCordons cordons, HostDrains drains, IHostDrainer drainer,
        IActorAccessor actors, CancellationToken ct)
    {
        var actor = actors.Current;
        if (!actor.IsAdmin) throw new Store.ForbiddenException("Only administrators may drain a host: it moves every tenant's VMs.");
        var host = hosts.Resolve(id);
        var drain = await drainer.StartAsync(host.Uri, actor.Name, ct);
        var info = HostsApi.Describe(host) with { Cordon = (await cordons.AllAsync(ct)).GetValueOrDefault(host.Uri), Drain = drain };
        return TypedResults.Accepted("/api/v1/hosts", info);
    }
}
