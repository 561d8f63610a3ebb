namespace KrautPortal.Features.VmImages;

/// <summary>Registers images made from VMs: the maker behind the API and the page, and the copier that feeds the image pipeline.</summary>
public static class VmImageSetup
{
    public static IServiceCollection AddVmImages(this IServiceCollection services)
    {
        services.AddSingleton<VmDiskSource>();
        services.AddScoped<VmImageMaker>();
        services.AddSingleton<VmImageCopier>(sp =>
        {
            var copier = ActivatorUtilities.CreateInstance<VmImageCopier>(sp);
            copier.Errors = sp.GetService<Reconciling.IReconcileErrors>();
            sp.GetRequiredService<Reconciling.ReconcileLoops>().Attach(copier);
            return copier;
        });
        services.AddHostedService(sp => sp.GetRequiredService<VmImageCopier>());
        services.AddSingleton<Vms.Pages.IVmPageAction, Pages.VmImagePageAction>();
        services.AddSingleton<Snapshots.Pages.ISnapshotRowAction, Pages.SnapshotImageRowAction>();
        return services;
    }
}
