using KrautPortal.Features.Reconciling;

namespace KrautPortal.Features.Failures;

public static class FailuresSetup
{
    public static IServiceCollection AddKrautFailures(this IServiceCollection services)
    {
        services.AddSingleton<ReconcileErrorRegistry>();
        services.AddSingleton<IReconcileErrors>(sp => sp.GetRequiredService<ReconcileErrorRegistry>());
        services.AddSingleton<HostOutages>();
        services.AddScoped<FailureService>();
        return services;
    }
}
