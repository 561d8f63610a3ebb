using KrautPortal.Features.Store;

namespace KrautPortal.Features.Snapshots;

/// <summary>Registers the snapshots kind, its reconciler, capability checks and the VM page's tab.</summary>
public static class SnapshotsSetup
{
    public static IServiceCollection AddKrautSnapshots(this IServiceCollection services)
    {
        services.AddScoped<IResourceRules<SnapshotSpec, SnapshotStatus>, SnapshotRules>();
        services.AddScoped<ResourceService<SnapshotSpec, SnapshotStatus>>();
        services.AddSingleton<SnapshotHostVersions>();
        services.AddScoped<SnapshotCapabilities>();
        services.AddScoped<SnapshotOperations>();
        services.AddSingleton<Vms.Pages.IVmPageTab, Pages.VmSnapshotsPageTab>();
        services.AddScoped<Vms.Pages.IVmDeleteNote, SnapshotDeleteNote>();
        return services;
    }
}
