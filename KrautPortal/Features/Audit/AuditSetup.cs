namespace KrautPortal.Features.Audit;

/// <summary>The audit trail's services, its place in the pipeline and its API.</summary>
public static class AuditSetup
{
    public static IServiceCollection AddKrautAudit(this IServiceCollection services)
    {
        services.AddSingleton<AuditWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditWriter>());
        services.AddScoped<AuditSearch>();
        return services;
    }

    /// <summary>After routing (it names the endpoint) and before the exception handler (it sees the final status).</summary>
    public static IApplicationBuilder UseKrautAudit(this IApplicationBuilder app) => app.UseMiddleware<AuditMiddleware>();
}
