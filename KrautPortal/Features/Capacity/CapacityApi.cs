using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Capacity;

/// <summary><c>GET /api/v1/capacity</c>: the installation's capacity, for administrators (it shows every tenant's allocation).</summary>
public static class CapacityApi
{
    public static void MapCapacity(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/capacity", GetAsync).WithTags("Capacity").WithName("GetCapacity")
            .WithSummary("Per host and in total: vCPUs (count), memory and disk (bytes) — physical, allocated to VMs, overcommit ceiling, "
                + "really used (null when unknown) — and how many more VMs of each machine type fit, with what limits them (administrators only).");

    public static async Task<Ok<InstallationCapacity>> GetAsync(ICapacityReader capacity, IActorAccessor actors, CancellationToken ct)
    {
        if (!actors.Current.IsAdmin) throw new ForbiddenException("Only administrators see the installation's capacity: it shows every tenant's allocation.");
        return TypedResults.Ok(await capacity.GetAsync(ct));
    }

    /// <summary>Registers the capacity reader; its ceilings come from the scheduler's overcommit (<see cref="Scheduling.OvercommitSettings"/>).</summary>
    public static IServiceCollection AddKrautCapacity(this IServiceCollection services, IConfiguration config)
    {
        services.AddScoped<ICapacityReader, CapacityService>();
        return services;
    }
}
