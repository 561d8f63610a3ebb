using KrautPortal.Features.Store;
using KrautPortal.Features.Store.Replicas;

namespace KrautPortal.Features.Reconciling;

/// <summary>
/// Registers what several portal replicas on one database need. SQLite means one portal: nothing to tell anyone, and
/// it owns everything. PostgreSQL means any number: changes told by NOTIFY, ownership by advisory locks.
/// </summary>
public static class ReplicaSetup
{
    public static IServiceCollection AddKrautReplicas(this IServiceCollection services, IConfiguration config)
    {
        services.AddSingleton<ReplicaIdentity>();
        services.AddSingleton<ReconcileLoops>();
        if ((config["Database:Provider"] ?? "sqlite").ToLowerInvariant() is not ("postgres" or "postgresql"))
        {
            services.AddSingleton<IReplicaBroadcast, NoReplicas>();
            services.AddSingleton<IReconcileOwnership, SingleProcessOwnership>();
            return services;
        }
        // Checked (and explained) by AddKrautStore.
        var connectionString = DatabaseSetup.PostgresConnectionString(config.GetConnectionString("Kraut") ?? "");
        services.AddSingleton<IReplicaBroadcast, PostgresBroadcast>();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<PostgresListener>(sp, connectionString));
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<PostgresOwnership>(sp, connectionString));
        services.AddSingleton<IReconcileOwnership>(sp => sp.GetRequiredService<PostgresOwnership>());
        // Before the reconcilers (hosted services start in order): changes are heard from the first pass on.
        services.AddHostedService(sp => sp.GetRequiredService<PostgresListener>());
        services.AddHostedService(sp => sp.GetRequiredService<PostgresOwnership>());
        return services;
    }
}
