using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Hosts;

/// <param name="Id">The host in URLs (<c>/api/v1/hosts/{id}/cordon</c>): a short hash of its URI.</param>
/// <param name="Cordon">Who cordoned it and when; null when it takes new VMs.</param>
public sealed record HostInfo(string Uri, bool IsDemo, bool Reachable, string? Error, IReadOnlyList<string> Architectures,
    string Id = "", HostCordon? Cordon = null);

public static class HostsApi
{
    public static void MapHosts(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/hosts", List).WithTags("hosts").WithName("ListHosts")
            .WithSummary("The libvirt hosts Kraut uses; a demo host (libvirt's test driver) runs no real VMs.");

    public static async Task<Ok<IReadOnlyList<HostInfo>>> List(HostRegistry hosts, HostCordons cordons, CancellationToken ct)
    {
        var cordoned = await cordons.AllAsync(ct);
        return TypedResults.Ok<IReadOnlyList<HostInfo>>(hosts.Hosts.Select(h => Describe(h) with { Cordon = cordoned.GetValueOrDefault(h.Uri) }).ToList());
    }

    public static HostInfo Describe(KrautHost h)
    {
        var reachable = h.TryConnect();
        return new HostInfo(h.Uri, h.IsDemo, reachable, h.Error,
            h.Capabilities?.Guests.Select(g => g.Arch).Distinct().ToList() ?? [], HostIds.For(h.Uri));
    }
}
