using KrautPortal.Features.Capacity;

namespace KrautPortal.Features.Dashboard.Pages;

/// <summary>
/// What an overcommit change does, in sentences for its confirmation: each host's ceilings before → after
/// ("qemu:///system: vCPU ceiling 8 → 16"), how many more or fewer VMs of each machine type fit, and hosts that end up
/// promised more than their new ceiling.
/// </summary>
public static class OvercommitSummary
{
    public static IReadOnlyList<string> Lines(InstallationCapacity before, InstallationCapacity after)
    {
        var lines = new List<string>();
        foreach (var now in after.Hosts)
        {
            if (before.Hosts.FirstOrDefault(h => h.Uri == now.Uri) is not { } was) continue;
            var changes = new List<string>();
            Compare(changes, "vCPU ceiling", was.Vcpus.Ceiling, now.Vcpus.Ceiling, DashboardFormat.Count);
            Compare(changes, "memory ceiling", was.MemoryBytes.Ceiling, now.MemoryBytes.Ceiling, DashboardFormat.Bytes);
            Compare(changes, "disk ceiling", was.DiskBytes.Ceiling, now.DiskBytes.Ceiling, DashboardFormat.Bytes);
            if (changes.Count > 0) lines.Add($"{now.Uri}: {string.Join("; ", changes)}");
            Over(lines, now.Uri, "vCPUs", now.Vcpus, was.Vcpus, DashboardFormat.Count);
            Over(lines, now.Uri, "memory", now.MemoryBytes, was.MemoryBytes, DashboardFormat.Bytes);
        }
        foreach (var fit in after.Fits)
        {
            if (before.Fits.FirstOrDefault(f => f.MachineTypeId == fit.MachineTypeId) is not { } was || was.Fits == fit.Fits) continue;
            var delta = fit.Fits - was.Fits;
            lines.Add($"{Math.Abs(delta)} {(delta > 0 ? "more" : "fewer")} '{fit.Name}' VMs fit ({was.Fits} → {fit.Fits}).");
        }
        if (lines.Count == 0) lines.Add("Nothing changes: every host's ceilings stay as they are.");
        return lines;
    }

    private static void Compare(List<string> changes, string what, double before, double after, Func<double, string> format)
    {
        if (Math.Abs(before - after) > 1e-6) changes.Add($"{what} {format(before)} → {format(after)}");
    }

    private static void Over(List<string> lines, string host, string what, CapacityAmount now, CapacityAmount was, Func<double, string> format)
    {
        if (now.Allocated > now.Ceiling && now.Ceiling < was.Ceiling)
            lines.Add($"{host} has {format(now.Allocated)} of {what} promised, more than its new ceiling {format(now.Ceiling)}: "
                + "its VMs keep running, but no new VM goes there until enough leave.");
    }
}
