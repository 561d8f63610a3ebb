using KrautPortal.Features.Api;
using KrautPortal.Features.Networks.Ipam;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Networks;

/// <summary>Network endpoints beyond the shared ones: the addresses in use.</summary>
public static class NetworksApi
{
    public static void MapNetworks(this IEndpointRouteBuilder app)
    {
        var group = app.MapResourceApi<NetworkSpec, NetworkStatus>(Kinds.Networks);
        group.MapGet("/{id}/addresses", ListAddresses).WithName("ListNetworkAddresses")
            .WithSummary("Addresses in use on the network: the host, the gateway and every NIC (VM, NIC, MAC, address).");
    }

    public static async Task<Ok<IReadOnlyList<NetworkAddress>>> ListAddresses(NetworkAddresses addresses, string id, CancellationToken ct) =>
        TypedResults.Ok(await addresses.ListAsync(ApiIds.Parse(id), ct));
}
