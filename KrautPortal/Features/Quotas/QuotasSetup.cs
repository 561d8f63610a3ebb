using KrautPortal.Features.Store;

namespace KrautPortal.Features.Quotas;

public static class QuotasSetup
{
    public static IServiceCollection AddKrautQuotas(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<QuotaOptions>(config.GetSection("Quotas"));
        services.AddScoped<QuotaMeter>();
        services.AddScoped<QuotaService>();
        // Scoped like the store: the gate reads through the same context, inside the write's transaction.
        services.AddScoped<IWriteGate, QuotaGate>();
        services.AddScoped<Images.IImageSpace, QuotaImageSpace>();
        return services;
    }
}
