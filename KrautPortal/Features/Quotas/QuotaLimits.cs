namespace KrautPortal.Features.Quotas;

/// <summary>
/// Limits of one quota, in the API's units (counts and bytes). Absent (null): in a default, no limit; in a user's or
/// group's own quota, the default's limit applies.
/// </summary>
public sealed record QuotaLimits
{
    public long? Vms { get; init; }
    public long? Vcpus { get; init; }
    public long? MemoryBytes { get; init; }
    public long? DiskBytes { get; init; }
    public long? Networks { get; init; }
    public long? ImageBytes { get; init; }
    public long? Routers { get; init; }

    /// <summary>The bytes the owner's backups and snapshots take (snapshots sit inside VMs' disks, backups beside them).</summary>
    public long? BackupBytes { get; init; }

    /// <summary>Each limit of <paramref name="specific"/> where it has one, else the default's.</summary>
    public static QuotaLimits Merge(QuotaLimits? specific, QuotaLimits? defaults)
    {
        var result = new QuotaLimits();
        foreach (var m in QuotaMeasure.All) result = m.With(result, specific is not null && m.Limit(specific) is { } own ? own : defaults is null ? null : m.Limit(defaults));
        return result;
    }
}

/// <summary>What an owner uses, in the units of <see cref="QuotaLimits"/>.</summary>
public sealed record QuotaUse
{
    public long Vms { get; init; }
    public long Vcpus { get; init; }
    public long MemoryBytes { get; init; }
    public long DiskBytes { get; init; }
    public long Networks { get; init; }
    public long ImageBytes { get; init; }
    public long Routers { get; init; }
    public long BackupBytes { get; init; }
}

/// <summary>One thing a quota limits: its API key, how a sentence names it, and whether it is bytes.</summary>
public sealed record QuotaMeasure(string Key, string Label, bool IsBytes, Func<QuotaLimits, long?> Limit, Func<QuotaLimits, long?, QuotaLimits> With,
    Func<QuotaUse, long> Used)
{
    public static readonly QuotaMeasure Vms = new("vms", "VM", false, l => l.Vms, (l, v) => l with { Vms = v }, u => u.Vms);
    public static readonly QuotaMeasure Vcpus = new("vcpus", "vCPU", false, l => l.Vcpus, (l, v) => l with { Vcpus = v }, u => u.Vcpus);
    public static readonly QuotaMeasure MemoryBytes = new("memoryBytes", "memory", true, l => l.MemoryBytes, (l, v) => l with { MemoryBytes = v }, u => u.MemoryBytes);
    public static readonly QuotaMeasure DiskBytes = new("diskBytes", "disk", true, l => l.DiskBytes, (l, v) => l with { DiskBytes = v }, u => u.DiskBytes);
    public static readonly QuotaMeasure Networks = new("networks", "network", false, l => l.Networks, (l, v) => l with { Networks = v }, u => u.Networks);
    public static readonly QuotaMeasure ImageBytes = new("imageBytes", "image storage", true, l => l.ImageBytes, (l, v) => l with { ImageBytes = v }, u => u.ImageBytes);
    public static readonly QuotaMeasure Routers = new("routers", "router", false, l => l.Routers, (l, v) => l with { Routers = v }, u => u.Routers);

    public static readonly QuotaMeasure BackupBytes = new("backupBytes", "backup and snapshot storage", true, l => l.BackupBytes, (l, v) => l with { BackupBytes = v },
        u => u.BackupBytes);

    public static readonly IReadOnlyList<QuotaMeasure> All = [Vms, Vcpus, MemoryBytes, DiskBytes, Networks, ImageBytes, Routers, BackupBytes];

    /// <summary>"3", or "3 GiB" for bytes (to a tenth of a GiB, exact when whole).</summary>
    public string Format(long value) => IsBytes ? Bytes(value) : value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string Bytes(long value)
    {
        var gib = value / (double)(1L << 30);
        if (value % (1L << 30) == 0 || gib >= 0.1) return gib.ToString(value % (1L << 30) == 0 ? "0" : "0.0", System.Globalization.CultureInfo.InvariantCulture) + " GiB";
        return (value / (double)(1L << 20)).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + " MiB";
    }
}
