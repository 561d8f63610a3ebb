using System.Globalization;

namespace KrautPortal.Features.Scheduling;

/// <summary>A filter: a host either passes or is refused with a sentence that carries the numbers.</summary>
public sealed record HostFilter(string Name, string Description, Func<PlacementRequest, HostLoad, OvercommitOptions, string?> Refusal);

/// <summary>The filters, in the order they run; the first that refuses a host is the one its verdict names.</summary>
public static class Filters
{
    public static readonly HostFilter Architecture = new("architecture", "The host must run guests of the VM's architecture.",
        (vm, load, _) => load.Host.Architectures.Contains(vm.Architecture) ? null
            : $"runs {(load.Host.Architectures.Count == 0 ? "no guests" : string.Join(", ", load.Host.Architectures.Order(StringComparer.Ordinal)) + " guests")}, not {vm.Architecture}");

    public static readonly HostFilter Reachable = new("reachable", "The host must answer: a VM cannot be created where libvirt cannot be reached.",
        (_, load, _) => load.Host.Reachable ? null : load.Host.Error ?? "does not answer");

    public static readonly HostFilter Cordoned = new("cordoned", "An administrator cordoned the host: it keeps its VMs but takes no new ones.",
        (_, load, _) => load.Host.Cordoned ? "cordoned by an administrator" : null);

    public static readonly HostFilter Dedicated = new("dedicated",
        "A dedicated VM holds its host alone: it needs a host with no VM, and no VM joins a host that has one.",
        (vm, load, _) =>
        {
            if (load.Vms.FirstOrDefault(v => v.Dedicated) is { } holder) return $"holds the dedicated VM '{holder.Name}'";
            return vm.Dedicated && load.VmCount > 0 ? $"has {Count(load.VmCount, "VM")}; a dedicated VM needs an empty host" : null;
        });

    public static readonly HostFilter Vcpus = new("vcpus", "The VM's vCPUs must fit under the host's CPUs times the CPU overcommit.",
        (vm, load, o) =>
        {
            var ceiling = o.CpuCeiling(load.Host.Cpus);
            var free = ceiling - load.Vcpus;
            return vm.Vcpus <= free ? null
                : $"{Number(Math.Max(0, free))} vCPUs free after overcommit ({load.Host.Cpus} CPUs × {Number(o.CpuOvercommit)} = {Number(ceiling)}, "
                    + $"{load.Vcpus} promised), needs {vm.Vcpus}";
        });

    public static readonly HostFilter Memory = new("memory",
        "The VM's memory must fit under the host's memory times the memory overcommit, less the memory reserved for the host.",
        (vm, load, o) =>
        {
            var ceiling = o.MemoryCeiling(load.Host.MemoryBytes);
            var free = ceiling - load.MemoryBytes;
            return vm.MemoryBytes <= free ? null
                : $"{Bytes(Math.Max(0, free))} free after overcommit and reserve ({Bytes(load.Host.MemoryBytes)} × {Number(o.MemoryOvercommit)} "
                    + $"− {Bytes(o.HostMemoryReserveMiB << 20)} reserve = {Bytes(ceiling)}, {Bytes(load.MemoryBytes)} promised), needs {Bytes(vm.MemoryBytes)}";
        });

    public static readonly HostFilter Disk = new("disk", "The VM's disk must fit on the host's disk pool times the disk overcommit, with every disk already promised there.",
        (vm, load, o) =>
        {
            var ceiling = o.DiskCeiling(load.Host.DiskBytes);
            var free = ceiling - load.PoolDiskBytes;
            return vm.DiskBytes <= free ? null
                : $"{Bytes(Math.Max(0, free))} of disk free after overcommit ({Bytes(ceiling)}, {Bytes(load.PoolDiskBytes)} promised), needs {Bytes(vm.DiskBytes)}";
        });

    public static readonly HostFilter Affinity = new("affinity",
        "A hard affinity rule: the host must already run a VM its selector matches (on an empty installation the first such VM may go anywhere).",
        (vm, load, _) =>
        {
            foreach (var rule in vm.Affinity.Where(r => r.Hard))
                if (!load.Vms.Any(v => rule.Matches(v.Metadata))) return $"runs no VM matching \"{rule.Text}\" (hard affinity)";
            return null;
        });

    public static readonly HostFilter AntiAffinity = new("anti-affinity",
        "A hard anti-affinity rule: never on a host with a VM its selector matches, whichever of the two VMs has the rule.",
        (vm, load, _) =>
        {
            foreach (var rule in vm.AntiAffinity.Where(r => r.Hard))
                if (load.Vms.FirstOrDefault(v => rule.Matches(v.Metadata)) is { } other)
                    return $"runs '{other.Name}', which matches \"{rule.Text}\" (hard anti-affinity)";
            foreach (var other in load.Vms)
                if (other.AntiAffinity.FirstOrDefault(r => r.Hard && r.Matches(vm.Metadata)) is { } theirs)
                    return $"runs '{other.Name}', whose hard anti-affinity \"{theirs.Text}\" matches this VM";
            return null;
        });

    public static readonly IReadOnlyList<HostFilter> All = [Architecture, Reachable, Cordoned, Dedicated, Vcpus, Memory, Disk, Affinity, AntiAffinity];

    /// <summary>"1.5 GiB", "512 MiB": one decimal at most, so a sentence reads like a person wrote it.</summary>
    public static string Bytes(double bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var unit = 0;
        while (Math.Abs(bytes) >= 1024 && unit < units.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }
        return Number(Math.Floor(bytes * 10) / 10) + " " + units[unit];
    }

    private static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";
}
