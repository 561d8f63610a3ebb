using KrautPortal.Features.Capacity;
using Prometheus;

namespace KrautPortal.Features.Metrics;

/// <summary>
/// Per host, from the capacity feature (<see cref="ICapacityReader"/>, whose host facts are cached: a scrape never waits
/// for a host): vCPUs, memory and disk as physical, allocated, ceiling and used, whether the host answers, its VMs, and
/// how many more of each machine type fit.
/// </summary>
public sealed class HostCapacityCollector(IServiceProvider services) : IScrapeCollector
{
    private static readonly string[] Kind = ["host", "kind"];

    private SeriesSet _vcpus = default!, _memory = default!, _disk = default!, _up = default!, _vms = default!, _fits = default!;
    private SeriesSet[] _all = [];

    public void Register(IMetricFactory factory)
    {
        _vcpus = SeriesSet.ForGauge(factory, "kraut_host_vcpus", "vCPUs per host: physical (logical CPUs), allocated to VMs, ceiling (overcommit) and used.", Kind);
        _memory = SeriesSet.ForGauge(factory, "kraut_host_memory_bytes", "Memory per host: physical, allocated to VMs, ceiling (overcommit, less the host's reserve) and used.", Kind);
        _disk = SeriesSet.ForGauge(factory, "kraut_host_disk_bytes", "Disk per host: physical, allocated to VMs, ceiling (overcommit) and used.", Kind);
        _up = SeriesSet.ForGauge(factory, "kraut_host_up", "1 when the host answered its last look, else 0.", ["host"]);
        _vms = SeriesSet.ForGauge(factory, "kraut_host_vms", "VMs placed on the host.", ["host"]);
        _fits = SeriesSet.ForGauge(factory, "kraut_machine_type_fits", "How many more VMs of a machine type fit in the installation.", ["machine_type"]);
        _all = [_vcpus, _memory, _disk, _up, _vms, _fits];
    }

    /// <summary>
    /// The longest a scrape waits for fresh figures. The capacity feature may wait up to 2 s for a host that is slow to
    /// answer; a scrape then shows the previous figures, and the reading it started is used by the next one.
    /// </summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMilliseconds(500);

    private Task<InstallationCapacity?>? _reading;

    public async Task CollectAsync(CancellationToken ct)
    {
        Task<InstallationCapacity?> reading;
        lock (_all)
        {
            // One reading at a time: a slow one is not started again by every scrape.
            if (_reading is null || _reading.IsCompleted) _reading = ReadAsync();
            reading = _reading;
        }
        await Task.WhenAny(reading, Task.Delay(Patience, ct));
        if (reading.IsFaulted) await reading; // the registry logs it; the figures stay as they were
        if (!reading.IsCompletedSuccessfully) return;
        var capacity = reading.Result;
        lock (_all)
        {
            foreach (var set in _all) set.BeginReading();
            foreach (var host in capacity?.Hosts ?? [])
            {
                _up.Set(host.Reachable ? 1 : 0, host.Uri);
                _vms.Set(host.Vms, host.Uri);
                Amounts(_vcpus, host.Uri, host.Vcpus);
                Amounts(_memory, host.Uri, host.MemoryBytes);
                Amounts(_disk, host.Uri, host.DiskBytes);
            }
            foreach (var fit in capacity?.Fits ?? []) _fits.Set(fit.Fits, fit.Name);
            foreach (var set in _all) set.EndReading();
        }
    }

    /// <summary>Not tied to one scrape's cancellation: a reading cut short would only be started again.</summary>
    private async Task<InstallationCapacity?> ReadAsync()
    {
        // Registered by the capacity feature when it is there; without it, no host figures.
        await using var scope = services.CreateAsyncScope();
        var reader = scope.ServiceProvider.GetService<ICapacityReader>();
        return reader is null ? null : await reader.GetAsync(CancellationToken.None);
    }

    private static void Amounts(SeriesSet set, string host, CapacityAmount amount)
    {
        set.Set(amount.Physical, host, "physical");
        set.Set(amount.Allocated, host, "allocated");
        set.Set(amount.Ceiling, host, "ceiling");
        set.Set(amount.Used, host, "used");
    }
}
