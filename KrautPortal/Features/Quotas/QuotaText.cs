namespace KrautPortal.Features.Quotas;

/// <summary>How the portal words a quota's figures: "3 of 10 VMs", "6 GiB of 16 GiB memory", "2 VMs (no limit)".</summary>
public static class QuotaText
{
    public static string Noun(QuotaMeasure m, long count) => m.Key switch
    {
        "vms" => count == 1 ? "VM" : "VMs",
        "vcpus" => count == 1 ? "vCPU" : "vCPUs",
        "memoryBytes" => "memory",
        "diskBytes" => "disk",
        "networks" => count == 1 ? "network" : "networks",
        "imageBytes" => "images",
        "routers" => count == 1 ? "router" : "routers",
        "backupBytes" => "backups and snapshots",
        _ => m.Key,
    };

    public static string Use(QuotaMeasure m, long used, long? limit) => limit is { } l
        ? $"{m.Format(used)} of {m.Format(l)} {Noun(m, l)}"
        : $"{m.Format(used)} {Noun(m, used)} (no limit)";

    /// <summary>0–100 for a progress bar; a limit of 0 with nothing used is empty, anything used against 0 is full.</summary>
    public static double Percent(long used, long limit) => limit <= 0 ? (used > 0 ? 100 : 0) : Math.Min(100, 100.0 * used / limit);
}
