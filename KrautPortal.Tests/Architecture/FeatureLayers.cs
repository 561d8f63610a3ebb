namespace KrautPortal.Tests.Architecture;

/// <summary>
/// The intended direction between feature folders (docs/architecture.md): a folder may use folders of its own layer or
/// below, never above. A lower feature that needs something from a higher one publishes a small interface in its own
/// folder, which the higher one implements and registers.
/// </summary>
public static class FeatureLayers
{
    public static readonly IReadOnlyList<(string Name, string[] Folders)> Layers =
    [
        ("1 shared mechanisms", ["Store", "Api", "Web", "Reconciling"]),
        ("2 identity", ["Auth"]),
        ("2b plug-ins of Auth", ["Tokens", "SshKeys"]),
        ("3 what VMs are made of", ["Hosts", "MachineTypes", "Images", "AddressPools"]),
        ("3b networks (may use address pools, not back)", ["Networks"]),
        ("3c scheduling (filters and weighers over hosts; VMs hand it plain records of what is placed)", ["Scheduling"]),
        ("4 VMs", ["Vms"]),
        ("4b firewalls (resolve VM selectors)", ["Firewalls"]),
        ("4c routers (run firewalls on router VMs)", ["Routers"]),
        ("4d consoles (relay a VM's serial port and screen)", ["Consoles"]),
        ("4d2 snapshots (of a VM's disk and memory, in libvirt)", ["Snapshots"]),
        ("4d3 backups (copies of VMs' disks, restores)", ["Backups"]),
        ("4d3b backup schedules (take and prune backups through Backups)", ["BackupSchedules"]),
        ("4d4 what is made of VMs' disks (images from VMs)", ["VmImages"]),
        ("4e observation (usage samples, capacity, quotas, audit trail, failures)", ["Usage", "Capacity", "Quotas", "Audit", "Failures"]),
        ("4f metrics (exports what 4e observes)", ["Metrics"]),
        ("5 the app", ["Seeding", "Dashboard"]),
    ];

    /// <summary>The store is the floor everything stands on: it names no other feature, not even Auth.</summary>
    public const string Floor = "Store";

    public static int? LayerOf(string folder)
    {
        for (var i = 0; i < Layers.Count; i++)
            if (Layers[i].Folders.Contains(folder, StringComparer.Ordinal)) return i;
        return null;
    }

    /// <summary>One line per pair of folders that reference each other, naming files of both directions.</summary>
    public static IReadOnlyList<string> Cycles(IReadOnlyList<FeatureReference> references)
    {
        var byPair = references.ToLookup(r => (r.From, r.To));
        return byPair.Select(g => g.Key)
            .Where(p => string.CompareOrdinal(p.From, p.To) < 0 && byPair.Contains((p.To, p.From)))
            .Order()
            .Select(p => $"{p.From} <-> {p.To}: {p.From} -> {p.To} in {Files(byPair[p])}; {p.To} -> {p.From} in {Files(byPair[(p.To, p.From)])}")
            .ToList();
    }

    /// <summary>One line per reference against the layering, naming the file and the rule it breaks.</summary>
    public static IReadOnlyList<string> AgainstLayers(IReadOnlyList<FeatureReference> references)
    {
        var problems = new List<string>();
        foreach (var r in references)
        {
            var (from, to) = (LayerOf(r.From), LayerOf(r.To));
            if (from is null || to is null) continue;
            if (r.From == Floor)
                problems.Add($"{r}: {Floor} must not reference {r.To} (rule: the store names no other feature; the feature plugs into the store).");
            else if (to > from)
                problems.Add($"{r}: {r.From} (layer {Layers[from.Value].Name}) must not use {r.To} (layer {Layers[to.Value].Name}) "
                    + $"(rule: lower never references higher; let {r.From} publish an interface that {r.To} implements).");
        }
        return problems;
    }

    public static IReadOnlyList<string> WithoutLayer(IEnumerable<string> folders) => folders.Where(f => LayerOf(f) is null).Order(StringComparer.Ordinal).ToList();

    private static string Files(IEnumerable<FeatureReference> references)
    {
        var list = references.Select(r => r.ToString()).Distinct().ToList();
        return string.Join(", ", list.Take(4)) + (list.Count > 4 ? $" and {list.Count - 4} more" : "");
    }
}
