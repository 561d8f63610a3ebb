using KrautPortal.Features.Hosts;

namespace KrautPortal.Features.Scheduling;

public static class SchedulingSetup
{
    /// <summary>
    /// The scheduler's settings (<c>Scheduling</c>: strategy, weights; <c>Capacity</c>: overcommit and reserve defaults, facts' age)
    /// and what it reads hosts through: their facts cache, the cordons and the overcommit set at runtime.
    /// </summary>
    public static IServiceCollection AddKrautScheduling(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<OvercommitOptions>(config.GetSection("Capacity"));
        services.Configure<NodeFactsOptions>(config.GetSection("Capacity"));
        services.Configure<SchedulingOptions>(config.GetSection("Scheduling"));
        services.AddSingleton<NodeFactsCache>();
        services.AddScoped<HostCordons>();
        services.AddScoped<OvercommitSettings>();
        services.AddScoped<OvercommitChanges>();
        return services;
    }
}
