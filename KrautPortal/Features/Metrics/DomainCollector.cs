using KrautPortal.Features.Usage;
using KrautPortal.Hypervisor;
using Prometheus;

namespace KrautPortal.Features.Metrics;

/// <summary>
/// Per-domain figures from the usage sampler's latest snapshot (<see cref="IUsageReader"/>), never a libvirt call of
/// its own, named as the widely used libvirt exporter (kumina/libvirt_exporter and its successors) names them, with
/// Kraut's <c>vm_id</c>, <c>owner</c> and <c>host</c> beside <c>domain</c> and <c>uuid</c>. Only the domains Kraut
/// manages: another installation on the same libvirt exports its own.
/// </summary>
public sealed class DomainCollector(IServiceProvider services) : IScrapeCollector
{
    private static readonly string[] Domain = ["host", "domain", "uuid", "vm_id", "owner"];
    private static readonly string[] Device = [.. Domain, "target_device"];

    private readonly List<SeriesSet> _all = [];
    private SeriesSet _state = default!, _cpu = default!, _vcpus = default!, _maxMemory = default!, _memory = default!;
    private SeriesSet _balloon = default!, _rss = default!, _usable = default!, _available = default!, _unused = default!;
    private SeriesSet _readBytes = default!, _writeBytes = default!, _readRequests = default!, _writeRequests = default!;
    private SeriesSet _capacity = default!, _allocation = default!;
    private SeriesSet _rxBytes = default!, _txBytes = default!, _rxPackets = default!, _txPackets = default!;
    private SeriesSet _rxErrors = default!, _txErrors = default!, _rxDrops = default!, _txDrops = default!;
    private SeriesSet _sampledAt = default!;

    public void Register(IMetricFactory factory)
    {
        SeriesSet Gauge(string name, string help, string[] labels) => Add(SeriesSet.ForGauge(factory, name, help, labels));
        SeriesSet Counter(string name, string help, string[] labels) => Add(SeriesSet.ForCounter(factory, name, help, labels));

        _state = Gauge("libvirt_domain_info_state", "Domain state as libvirt numbers it (1 running, 3 paused, 5 shut off, 6 crashed, ...).", Domain);
        _cpu = Counter("libvirt_domain_info_cpu_time_seconds_total", "CPU time the domain used since it started.", Domain);
        _vcpus = Gauge("libvirt_domain_info_virtual_cpus", "Virtual CPUs of the domain.", Domain);
        _maxMemory = Gauge("libvirt_domain_info_maximum_memory_bytes", "Most memory the domain may have.", Domain);
        _memory = Gauge("libvirt_domain_info_memory_usage_bytes", "Memory the domain has now (its balloon).", Domain);
        _balloon = Gauge("libvirt_domain_memory_stats_actual_balloon_bytes", "Current balloon size.", Domain);
        _rss = Gauge("libvirt_domain_memory_stats_rss_bytes", "Resident set size of the domain's QEMU process on the host.", Domain);
        _usable = Gauge("libvirt_domain_memory_stats_usable_bytes", "Memory the guest could use without swapping (its MemAvailable).", Domain);
        _available = Gauge("libvirt_domain_memory_stats_available_bytes", "Memory the guest's kernel sees.", Domain);
        _unused = Gauge("libvirt_domain_memory_stats_unused_bytes", "Memory the guest leaves unused.", Domain);
        _readBytes = Counter("libvirt_domain_block_stats_read_bytes_total", "Bytes read from a disk.", Device);
        _writeBytes = Counter("libvirt_domain_block_stats_write_bytes_total", "Bytes written to a disk.", Device);
        _readRequests = Counter("libvirt_domain_block_stats_read_requests_total", "Read requests of a disk.", Device);
        _writeRequests = Counter("libvirt_domain_block_stats_write_requests_total", "Write requests of a disk.", Device);
        _capacity = Gauge("libvirt_domain_block_stats_capacity_bytes", "A disk's size as the guest sees it.", Device);
        _allocation = Gauge("libvirt_domain_block_stats_allocation", "Bytes of a disk's image allocated on the host.", Device);
        _rxBytes = Counter("libvirt_domain_interface_stats_receive_bytes_total", "Bytes received on a network interface.", Device);
        _txBytes = Counter("libvirt_domain_interface_stats_transmit_bytes_total", "Bytes sent on a network interface.", Device);
        _rxPackets = Counter("libvirt_domain_interface_stats_receive_packets_total", "Packets received on a network interface.", Device);
        _txPackets = Counter("libvirt_domain_interface_stats_transmit_packets_total", "Packets sent on a network interface.", Device);
        _rxErrors = Counter("libvirt_domain_interface_stats_receive_errors_total", "Receive errors on a network interface.", Device);
        _txErrors = Counter("libvirt_domain_interface_stats_transmit_errors_total", "Transmit errors on a network interface.", Device);
        _rxDrops = Counter("libvirt_domain_interface_stats_receive_drops_total", "Received packets dropped on a network interface.", Device);
        _txDrops = Counter("libvirt_domain_interface_stats_transmit_drops_total", "Packets to send dropped on a network interface.", Device);
        _sampledAt = Gauge("kraut_usage_sample_timestamp_seconds", "When the usage sampler last read a host's statistics (Unix time).", ["host"]);
    }

    private SeriesSet Add(SeriesSet set)
    {
        _all.Add(set);
        return set;
    }

    public Task CollectAsync(CancellationToken ct)
    {
        // Registered by the usage feature when it is there; without it, no domain figures.
        var snapshots = services.GetService<IUsageReader>()?.Latest ?? [];
        lock (_all)
        {
            foreach (var set in _all) set.BeginReading();
            foreach (var snapshot in snapshots)
            {
                _sampledAt.Set(new DateTimeOffset(DateTime.SpecifyKind(snapshot.At, DateTimeKind.Utc)).ToUnixTimeMilliseconds() / 1000.0, snapshot.HostUri);
                foreach (var domain in snapshot.Domains)
                {
                    if (snapshot.Vms.TryGetValue(domain.Uuid, out var vm)) Export(snapshot.HostUri, domain, vm);
                }
            }
            foreach (var set in _all) set.EndReading();
        }
        return Task.CompletedTask;
    }

    private void Export(string host, DomainStats d, VmIdentity vm)
    {
        string[] labels = [host, d.Name, d.Uuid.ToString("D"), vm.VmId.ToString("D"), vm.Owner];
        _state.Set((int)d.State, labels);
        _cpu.Set(d.CpuTimeNanoseconds / 1e9, labels);
        _vcpus.Set(d.Vcpus, labels);
        _maxMemory.Set(d.MemoryMaximumKiB * 1024.0, labels);
        _memory.Set(d.MemoryCurrentKiB * 1024.0, labels);
        _balloon.Set(d.MemoryCurrentKiB * 1024.0, labels);
        _rss.Set(d.MemoryRssKiB * 1024.0, labels);
        _usable.Set(d.MemoryUsableKiB * 1024.0, labels);
        _available.Set(d.MemoryAvailableKiB * 1024.0, labels);
        _unused.Set(d.MemoryUnusedKiB * 1024.0, labels);
        foreach (var b in d.Blocks)
        {
            string[] device = [.. labels, b.Device];
            _readBytes.Set(b.ReadBytes, device);
            _writeBytes.Set(b.WriteBytes, device);
            _readRequests.Set(b.ReadRequests, device);
            _writeRequests.Set(b.WriteRequests, device);
            _capacity.Set(b.CapacityBytes, device);
            _allocation.Set(b.AllocationBytes, device);
        }
        foreach (var n in d.Interfaces)
        {
            string[] device = [.. labels, n.Device];
            _rxBytes.Set(n.ReceiveBytes, device);
            _txBytes.Set(n.TransmitBytes, device);
            _rxPackets.Set(n.ReceivePackets, device);
            _txPackets.Set(n.TransmitPackets, device);
            _rxErrors.Set(n.ReceiveErrors, device);
            _txErrors.Set(n.TransmitErrors, device);
            _rxDrops.Set(n.ReceiveDrops, device);
            _txDrops.Set(n.TransmitDrops, device);
        }
    }
}
