namespace KrautPortal.Features.Usage;

/// <summary>Usage sampling: one sampler for the whole portal (also the <see cref="IUsageReader"/>), and its queries.</summary>
public static class UsageSetup
{
    public static IServiceCollection AddKrautUsage(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<UsageOptions>(config.GetSection("Usage"));
        services.AddSingleton<UsageSampler>();
        services.AddSingleton<IUsageReader>(sp => sp.GetRequiredService<UsageSampler>());
        services.AddHostedService(sp => sp.GetRequiredService<UsageSampler>());
        services.AddScoped<UsageQueries>();
        services.AddSingleton<UsageHistory>();
        services.AddSingleton<Vms.Pages.IVmPageTab, Pages.VmUsagePageTab>();
        return services;
    }
}
