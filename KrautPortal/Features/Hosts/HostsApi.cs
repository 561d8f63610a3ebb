using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Hosts;

public sealed record HostInfo(string Uri, bool IsDemo, bool Reachable, string? Error, IReadOnlyList<string> Architectures);

public static class HostsApi
{
    public static void MapHosts(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/hosts", List).WithTags("hosts").WithName("ListHosts")
            .WithSummary("The libvirt hosts Kraut uses; a demo host (libvirt's test driver) runs no real VMs.");

    public static Ok<IReadOnlyList<HostInfo>> List(HostRegistry hosts) =>
        TypedResults.Ok<IReadOnlyList<HostInfo>>(hosts.Hosts.Select(Describe).ToList());

    public static HostInfo Describe(KrautHost h)
    {
        var reachable = h.TryConnect();
        return new HostInfo(h.Uri, h.IsDemo, reachable, h.Error,
            h.Capabilities?.Guests.Select(g => g.Arch).Distinct().ToList() ?? []);
    }
}
