using KrautPortal.Features.AddressPools;
using KrautPortal.Features.Api;
using KrautPortal.Features.Audit;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Consoles;
using KrautPortal.Features.Firewalls;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Images;
using KrautPortal.Features.Images.Pipeline;
using KrautPortal.Features.Images.Upload;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Metrics;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Networks.HostFacts;
using KrautPortal.Features.Networks.Ipam;
using KrautPortal.Features.Failures;
using KrautPortal.Features.Quotas;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Routers;
using KrautPortal.Features.Seeding;
using KrautPortal.Features.SshKeys;
using KrautPortal.Features.Store;
using KrautPortal.Features.Tokens;
using KrautPortal.Features.Usage;
using KrautPortal.Features.Vms;
using KrautPortal.Features.Web;

namespace KrautPortal.Features;

/// <summary>Registers and starts every feature, so Program.cs stays a list of three calls.</summary>
public static class KrautSetup
{
    public static WebApplicationBuilder AddKraut(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var config = builder.Configuration;
        var paths = new KrautPaths(config["Kraut:DataDirectory"] ?? Path.Combine(builder.Environment.ContentRootPath, ".data"),
            config["Kraut:BackupDirectory"]);

        services.AddSingleton(paths);
        services.Configure<KrautOptions>(config.GetSection("Kraut"));
        services.Configure<ImagesOptions>(config.GetSection("Images"));
        services.AddSingleton(TimeProvider.System);
        services.AddKrautStore(config, paths.Root);
        // Several portals on one PostgreSQL: changes told across, reconciliation owned by one replica at a time.
        services.AddKrautReplicas(config);
        services.AddKrautAuth(config, paths);
        services.AddKrautTokens();
        services.AddSingleton<KrautInstance>();
        services.AddSingleton<AccelerationCache>();
        services.AddSingleton<HostPool>();
        services.AddSingleton<HostRegistry>();
        services.AddSingleton<ImageStorage>();
        services.AddSingleton<IHostNetworkFacts>(new ProcHostNetworkFacts());
        services.AddSingleton<NetworkRealizer>();
        services.AddSingleton<NetworkVxlan>();
        // Networks spanning hosts (VXLAN between the hosts a network's VMs sit on): Features/Networks/Span.
        services.Configure<Networks.Span.HostSpanOptions>(config.GetSection(Networks.Span.HostSpanOptions.Section));
        services.AddSingleton<Networks.Span.HostAgent>();
        services.AddSingleton<Networks.Span.HostSpan>();
        services.AddSingleton<VmBuilder>();
        services.AddSingleton<VmVolumes>();
        services.AddSingleton<VmConsoleLogs>();
        services.AddScoped<VmPlanner>();
        services.AddSingleton<FirstRunSeeder>();
        // Before the reconcilers: hosted services start in order, so no span is missed.
        services.AddVmTraceFile(config);
        services.AddReconciler<NetworkReconciler>();
        services.AddHostedService<VxlanHousekeeping>();
        services.AddReconciler<VmReconciler>();
        services.AddImagePipeline();
        services.AddSingleton<KrautPortal.Hypervisor.Routers.IRouterAgent>(new KrautPortal.Hypervisor.Routers.RouterAgentClient(RouterReconciler.ApplyTimeout));
        services.AddSingleton<RouterUplink>();
        services.AddReconciler<RouterReconciler>();
        services.AddReconciler<Snapshots.SnapshotReconciler>();
        Scheduling.SchedulingSetup.AddKrautScheduling(services, config);
        Capacity.CapacityApi.AddKrautCapacity(services, config);
        services.AddSingleton<Dashboard.DashboardQueries>();

        services.AddKind<MachineTypeSpec, MachineTypeStatus, MachineTypeRules>();
        services.AddKind<ImageSpec, ImageStatus, ImageRules>();
        services.AddImageContent();
        services.AddKind<NetworkSpec, NetworkStatus, NetworkRules>();
        services.AddKind<VmSpec, VmStatus, VmRules>();
        services.AddScoped<VmOperations>();
        services.AddScoped<VmScheduling>();
        // Moving VMs between hosts (issue 14, part 6); live migration registers its own IVmMigrator after this one.
        services.AddSingleton<IVmMigrator, NoLiveMigration>();
        // Live migration (libvirt's, with storage copy): the last registration wins over NoLiveMigration.
        services.AddSingleton<IVmMigrator, LiveVmMigrator>();
        services.AddSingleton<VmMover>();
        services.AddScoped<VmMoves>();
        services.AddScoped<HostDrains>();
        services.AddScoped<VmHostDrainer>();
        services.AddScoped<IHostDrainer>(sp => sp.GetRequiredService<VmHostDrainer>());
        services.AddSingleton<HostDrainWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<HostDrainWorker>());
        services.AddSingleton<Features.Vms.Pages.ConsoleWatcher>();
        services.AddScoped<IpamService>();
        services.AddScoped<NetworkAddresses>();
        services.AddScoped<SshKeyService>();
        services.AddKind<TokenSpec, TokenStatus, TokenRules>();
        services.AddKind<AddressPoolSpec, AddressPoolStatus, AddressPoolRules>();
        services.AddScoped<AddressPoolPolicy>();
        services.AddKind<FirewallSpec, FirewallStatus, FirewallRules>();
        services.AddScoped<FirewallResolver>();
        services.AddScoped<FirewallRulesets>();
        services.AddSingleton<IRulesetRenderer, NftRulesetRenderer>();
        // Lower features ask, higher ones answer (docs/architecture.md): networks answer address pools, VMs answer the rest.
        services.AddScoped<ITakenRanges, NetworkTakenRanges>();
        services.AddScoped<INetworkMembers, VmNetworkMembers>();
        services.AddSingleton<KrautPortal.Features.Tokens.ITokenActions, VmTokenActions>();
        services.AddScoped<IImageUsers, VmImageUsers>();
        services.AddScoped<IMachineTypeUsers, VmMachineTypeUsers>();

        services.AddKind<RouterSpec, RouterStatus, RouterRules>();
        // Backups of VMs and restores (Features/Backups); the VM builder asks IVmRestoreSource for a restored disk.
        services.AddSingleton<Backups.BackupFiles>();
        services.AddSingleton<Backups.HostRegistryAccess>();
        services.AddReconciler<Backups.BackupRunner>();
        services.AddKind<Backups.BackupSpec, Backups.BackupStatus, Backups.BackupRules>();
        services.AddScoped<Backups.BackupRestores>();
        services.AddSingleton<IVmRestoreSource, Backups.BackupDisks>();
        services.AddSingleton<Features.Vms.Pages.IVmPageTab, Features.Backups.Pages.BackupsPageTab>();
        services.AddScoped<Features.Vms.Pages.IVmDeleteNote, Backups.BackupDeleteNote>();
        // Backup schedules with retention and verification (Features/BackupSchedules), taken through the Backups service.
        services.AddSingleton<BackupSchedules.BackupVerifier>();
        services.AddSingleton<BackupSchedules.ScheduleActor>();
        services.AddReconciler<BackupSchedules.BackupScheduler>();
        services.AddKind<BackupSchedules.BackupScheduleSpec, BackupSchedules.BackupScheduleStatus, BackupSchedules.BackupScheduleRules>();
        services.AddScoped<KrautPortal.Features.Firewalls.IRouterRulesets, RouterRulesets>();
        // Portal slots lower pages publish and higher features fill (docs/architecture.md).
        services.AddSingleton<Features.Networks.Pages.INetworkPagePanel, Features.Routers.Pages.RouterNetworkPanel>();
        services.AddSingleton<Features.Vms.Pages.IVmPageTab, Features.Consoles.Pages.VmConsolePageTab>();
        services.AddScoped<Features.Vms.Wizard.IVmWizardStep, Features.Firewalls.Pages.WizardFirewallRules>();
        services.AddScoped<Features.Firewalls.Pages.IRoutedNetworks, Features.Routers.Pages.RoutedNetworks>();

        services.AddKrautConsoles(config);
        Snapshots.SnapshotsSetup.AddKrautSnapshots(services);
        services.AddKrautUsage(config);
        services.AddKrautAudit();
        services.AddKrautQuotas(config);
        services.AddKrautFailures();
        VmImages.VmImageSetup.AddVmImages(services);

        services.AddKrautApi();
        services.AddTrustedProxies(config);
        services.AddKrautMetrics(config);
        return builder;
    }

    /// <summary>Schema, instance id and first-run objects, before any reconciler or request runs.</summary>
    public static async Task InitializeKrautAsync(this WebApplication app)
    {
        // A misnamed authenticator stops start-up here rather than failing every request later.
        _ = app.Services.GetRequiredService<AuthenticatorChain>();
        InitialAdmin.EnsureCreated(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuthOptions>>(),
            app.Services.GetRequiredService<KrautPaths>(), app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Kraut.Auth"));
        await app.Services.MigrateKrautStoreAsync();
        await IpamSweep.RunAsync(app.Services, CancellationToken.None);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            await app.Services.GetRequiredService<KrautInstance>().LoadAsync(scope.ServiceProvider.GetRequiredService<KrautDbContext>(), CancellationToken.None);
        }
        await app.Services.GetRequiredService<FirstRunSeeder>().SeedAsync(CancellationToken.None);
        await app.Services.GetRequiredService<ImageStorage>().CollectOrphansAsync(CancellationToken.None);
    }

    public static void MapKraut(this WebApplication app)
    {
        app.MapKrautApi();
        app.MapResourceApi<MachineTypeSpec, MachineTypeStatus>(Kinds.MachineTypes);
        app.MapResourceApi<ImageSpec, ImageStatus>(Kinds.Images);
        app.MapImageContent();
        app.MapNetworks();
        app.MapVms();
        app.MapTokens();
        app.MapResourceApi<AddressPoolSpec, AddressPoolStatus>(Kinds.AddressPools);
        app.MapFirewalls();
        app.MapResourceApi<RouterSpec, RouterStatus>(Kinds.Routers);
        Backups.BackupsApi.MapBackups(app);
        BackupSchedules.BackupSchedulesApi.MapBackupSchedules(app);
        app.MapSshKeys();
        app.MapHosts();
        app.MapHostCordons();
        Scheduling.OvercommitApi.MapOvercommit(app);
        app.MapHostDrains();
        app.MapConsoles();
        Snapshots.SnapshotsApi.MapSnapshots(app);
        Capacity.CapacityApi.MapCapacity(app);
        app.MapUsage();
        app.MapAudit();
        app.MapQuotas();
        app.MapFailures();
        VmImages.VmImageApi.MapVmImages(app);
        app.MapLogin();
    }

    private static void AddKind<TSpec, TStatus, TRules>(this IServiceCollection services)
        where TSpec : class
        where TStatus : class
        where TRules : class, IResourceRules<TSpec, TStatus>
    {
        services.AddScoped<IResourceRules<TSpec, TStatus>, TRules>();
        services.AddScoped<ResourceService<TSpec, TStatus>>();
    }

    private static void AddReconciler<T>(this IServiceCollection services) where T : ReconcileLoop
    {
        // Errors: the failures registry (Features/Failures), told of each object's passes.
        services.AddSingleton<T>(sp =>
        {
            var loop = ActivatorUtilities.CreateInstance<T>(sp);
            loop.Errors = sp.GetService<IReconcileErrors>();
            sp.GetRequiredService<ReconcileLoops>().Attach(loop);
            return loop;
        });
        services.AddHostedService(sp => sp.GetRequiredService<T>());
    }
}
