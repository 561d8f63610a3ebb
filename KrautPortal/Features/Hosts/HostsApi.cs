using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Hosts;

/// <param name="Architectures">Every guest architecture libvirt offers on the host.</param>
/// <param name="ArchitectureSupport">How the host runs each of them: native or emulated, and whether Kraut places VMs of it there.</param>
/// <param name="Id">The host in URLs (<c>/api/v1/hosts/{id}/cordon</c>): a short hash of its URI.</param>
/// <param name="Cordon">Who cordoned it and when; null when it takes new VMs.</param>
/// <param name="Drain">Its last drain (<c>POST /api/v1/hosts/{id}/drain</c>): each VM's progress and a summary; null when never drained.</param>
public sealed record HostInfo(string Uri, bool IsDemo, bool Reachable, string? Error, IReadOnlyList<string> Architectures,
    IReadOnlyList<HostArchitecture> ArchitectureSupport, string Id = "", HostCordon? Cordon = null, HostDrain? Drain = null);

/// <param name="Support">native, emulated or no.</param>
/// <param name="Allowed">Whether new VMs of this arch may be placed on the host (an emulated arch needs Kraut:AllowEmulation).</param>
/// <param name="Summary">"aarch64: emulated (slow)".</param>
/// <param name="Reason">The sentence behind it, e.g. how to allow emulation.</param>
public sealed record HostArchitecture(string Arch, string Support, bool Allowed, string Summary, string Reason);

public static class HostsApi
{
    public static void MapHosts(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/hosts", List).WithTags("hosts").WithName("ListHosts")
            .WithSummary("The libvirt hosts Kraut uses, with the architectures each runs natively or emulated; a demo host (libvirt's test driver) runs no real VMs.");

    public static async Task<Ok<IReadOnlyList<HostInfo>>> List(HostRegistry hosts, HostCordons cordons, HostDrains drains, CancellationToken ct)
    {
        var cordoned = await cordons.AllAsync(ct);
        var drained = await drains.AllAsync(ct);
        return TypedResults.Ok<IReadOnlyList<HostInfo>>(hosts.Hosts
            .Select(h => Describe(h) with { Cordon = cordoned.GetValueOrDefault(h.Uri), Drain = drained.GetValueOrDefault(h.Uri) }).ToList());
    }

    public static HostInfo Describe(KrautHost h)
    {
        var reachable = h.TryConnect();
        return new HostInfo(h.Uri, h.IsDemo, reachable, h.Error,
            h.Capabilities?.Guests.Select(g => g.Arch).Distinct().ToList() ?? [],
            h.Architectures().Select(a => new HostArchitecture(a.Arch, a.Kind.ToString().ToLowerInvariant(), a.CanRun, a.Summary, a.Reason)).ToList(),
            HostIds.For(h.Uri));
    }
}
