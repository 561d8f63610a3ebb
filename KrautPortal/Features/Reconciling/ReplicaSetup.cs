using KrautPortal.Features.Store;

namespace KrautPortal.Features.Reconciling;

/// <summary>
/// Registers what several portal replicas on one database need: SQLite means one portal (nothing to tell anyone,
/// everything owned); PostgreSQL means any number, with changes told by NOTIFY and ownership by advisory locks.
/// </summary>
public static class ReplicaSetup
{
    public static IServiceCollection AddKrautReplicas(this IServiceCollection services, IConfiguration config)
    {
        services.AddSingleton<ReplicaIdentity>();
        services.AddSingleton<ReconcileLoops>();
        services.AddSingleton<IReplicaBroadcast, NoReplicas>();
        services.AddSingleton<IReconcileOwnership, SingleProcessOwnership>();
        return services;
    }
}
