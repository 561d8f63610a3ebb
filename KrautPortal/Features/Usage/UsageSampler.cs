using KrautPortal.Features.Hosts;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Usage;

/// <summary>
/// Asks every reachable host once per interval for all its domains' statistics (one bulk call per host, never one per
/// VM), stores a row per running Kraut VM, keeps the latest view for readers, and rolls up and prunes old samples.
/// </summary>
public sealed class UsageSampler(
    HostRegistry hosts,
    IServiceScopeFactory scopes,
    IOptions<UsageOptions> options,
    TimeProvider time,
    ILogger<UsageSampler> logger,
    IReconcileOwnership? ownership = null) : BackgroundService, IUsageReader
{
    private static readonly TimeSpan MaintenanceEvery = TimeSpan.FromMinutes(5);

    private readonly SemaphoreSlim _pass = new(1, 1);
    private Dictionary<Guid, UsageCounters> _previous = [];
    private IReadOnlyList<HostStatsSnapshot> _latest = [];
    private DateTime _lastMaintenance = DateTime.MinValue;

    public IReadOnlyList<HostStatsSnapshot> Latest => Volatile.Read(ref _latest);

    /// <summary>When the last pass finished (null before the first): pages show how fresh their figures are.</summary>
    public DateTime? LastSampleAt { get; private set; }

    /// <summary>Raised after every pass, for pages that show live figures.</summary>
    public event Action? Sampled;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var ct = stoppingToken;
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        do
        {
            try
            {
                await SampleOnceAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Usage sampling failed; trying again in {Interval}", options.Value.Interval);
            }
        }
        while (await timer.WaitForNextTickAsync(ct));
    }

    /// <summary>One pass over every host: gather, store, remember, and now and then roll up and prune.</summary>
    public async Task SampleOnceAsync(CancellationToken ct)
    {
        await _pass.WaitAsync(ct);
        try
        {
            var at = time.GetUtcNow().UtcDateTime;
            var gathered = await GatherAsync(ct);
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
            var vms = await VmsOfAsync(scope.ServiceProvider.GetRequiredService<KindReader>(), gathered, ct);

            var (rows, snapshots, counters) = Build(at, gathered, vms);
            // Every replica samples every host (its pages show live figures); the host's owner alone stores them, once.
            if (ownership is not null) rows = await OwnedAsync(rows, ct);
            db.UsageSamples.AddRange(rows);
            await db.SaveChangesAsync(ct);
            _previous = counters;
            Volatile.Write(ref _latest, snapshots);
            LastSampleAt = at;

            if (at - _lastMaintenance >= MaintenanceEvery && (ownership is null || await ownership.OwnsAsync(OwnerKeys.Usage, ct)))
            {
                await UsageMaintenance.RunAsync(db, at, options.Value, ct);
                _lastMaintenance = at;
            }
        }
        finally
        {
            _pass.Release();
        }

        Sampled?.Invoke();
    }

    private async Task<List<UsageSampleRow>> OwnedAsync(List<UsageSampleRow> rows, CancellationToken ct)
    {
        var owned = new List<UsageSampleRow>();
        foreach (var host in rows.GroupBy(r => r.HostUri))
            if (await ownership!.OwnsAsync(OwnerKeys.Host(host.Key), ct)) owned.AddRange(host);
        return owned;
    }

    private async Task<List<(string Uri, IReadOnlyList<DomainStats> Domains)>> GatherAsync(CancellationToken ct)
    {
        var gathered = new List<(string, IReadOnlyList<DomainStats>)>();
        foreach (var host in hosts.Hosts)
        {
            try
            {
                gathered.Add((host.Uri, await Task.Run(() => host.Connection.GetAllDomainStats(), ct)));
            }
            catch (Exception e) when (e is HostUnavailableException or LibvirtException or ObjectDisposedException)
            {
                // An unreachable host has no samples this round; the failures view reports hosts that are down.
                logger.LogDebug(e, "No usage sample from {Uri}", host.Uri);
            }
        }

        return gathered;
    }

    private static async Task<Dictionary<Guid, Record<VmSpec>>> VmsOfAsync(
        KindReader reader, List<(string Uri, IReadOnlyList<DomainStats> Domains)> gathered, CancellationToken ct)
    {
        var ids = gathered.SelectMany(g => g.Domains).Select(d => d.Uuid).Distinct().ToList();
        if (ids.Count == 0) return [];
        var vms = await reader.SpecsAsync<VmSpec>(Kinds.Vms, ct, r => ids.Contains(r.Id));
        return vms.ToDictionary(v => v.Id);
    }

    private (List<UsageSampleRow>, List<HostStatsSnapshot>, Dictionary<Guid, UsageCounters>) Build(
        DateTime at, List<(string Uri, IReadOnlyList<DomainStats> Domains)> gathered, Dictionary<Guid, Record<VmSpec>> vms)
    {
        var maxGap = options.Value.Interval * 3;
        var rows = new List<UsageSampleRow>();
        var snapshots = new List<HostStatsSnapshot>(gathered.Count);
        var counters = new Dictionary<Guid, UsageCounters>();
        foreach (var (uri, domains) in gathered)
        {
            var identities = new Dictionary<Guid, VmIdentity>();
            foreach (var domain in domains)
            {
                if (!vms.TryGetValue(domain.Uuid, out var vm)) continue;
                identities[vm.Id] = new VmIdentity(vm.Id, vm.Name, vm.Owner);
                var current = UsageCounters.From(domain, at);
                counters[vm.Id] = current;
                if (!current.Running) continue;
                _previous.TryGetValue(vm.Id, out var previous);
                rows.Add(UsageSample.Row(at, uri, vm, domain, current, previous, maxGap));
            }

            snapshots.Add(new HostStatsSnapshot(uri, at, domains, identities));
        }

        return (rows, snapshots, counters);
    }

    public override void Dispose()
    {
        _pass.Dispose();
        base.Dispose();
    }
}
