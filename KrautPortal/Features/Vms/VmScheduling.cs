using System.Text.Json;
using System.Text.Json.Nodes;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Images;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Scheduling;
using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Vms;

/// <summary>
/// Hands the scheduler plain records of a VM, the hosts and the VMs already placed, read through the scoped store (so
/// inside a create's transaction it sees exactly what that transaction sees). Scoped.
/// </summary>
public sealed class VmScheduling(KindReader reader, HostRegistry hosts, NodeFactsCache nodes, HostCordons cordons, KrautPaths paths,
    OvercommitSettings overcommits, IOptions<SchedulingOptions> options, IServiceScopeFactory scopes)
{
    /// <summary>The lock every placement takes inside its transaction: decisions are made one at a time across replicas.</summary>
    public const string LockName = "vm-placement";

    /// <summary>
    /// Where <paramref name="spec"/> would go now (<paramref name="id"/>: the VM itself, left out of what is placed). The
    /// explanation names other VMs only where <paramref name="shownTo"/> may see them.
    /// </summary>
    public async Task<PlacementDecision> DecideAsync(Guid? id, VmSpec spec, JsonObject metadata, Actor shownTo, CancellationToken ct) =>
        await DecideAsync(reader, id, spec, metadata, await HostsAsync(ct), await OvercommitsAsync(ct), options.Value, ct, shownTo);

    /// <summary>Each host's overcommit as set now (read in the caller's transaction, like the cordons).</summary>
    public Task<HostOvercommits> OvercommitsAsync(CancellationToken ct) => overcommits.ReadAsync(ct);

    /// <summary>
    /// A dry run for a page: in a scope (and database context) of its own, so it may run while the page's circuit reads
    /// through its context (a wizard step moving on while the preview is still reading).
    /// </summary>
    public async Task<PlacementDecision> DecideInOwnScopeAsync(VmSpec spec, JsonObject metadata, Actor shownTo, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<VmScheduling>().DecideAsync(null, spec, metadata, shownTo, ct);
    }

    /// <summary>The decision from the store's VMs and the given hosts (public for the placement benchmark, which times exactly this).</summary>
    public static async Task<PlacementDecision> DecideAsync(KindReader reader, Guid? id, VmSpec spec, JsonObject metadata, IReadOnlyList<HostFacts> hosts,
        HostOvercommits overcommit, SchedulingOptions options, CancellationToken ct, Actor? shownTo = null)
    {
        var types = (await reader.SpecsAsync<MachineTypeSpec>(Kinds.MachineTypes, ct)).ToDictionary(t => t.Id, t => t.Spec);
        var imageSizes = (await reader.StatusesAsync<ImageStatus>(Kinds.Images, ct)).ToDictionary(i => i.Key, i => i.Value.VirtualSizeBytes ?? 0);
        var request = Request(id, spec, metadata, types, imageSizes);
        var (usage, dedicatedTypes) = await UsageAsync(reader, id, types, imageSizes, ct);
        var vms = await RuleVmsAsync(reader, request, dedicatedTypes, types, imageSizes, shownTo ?? Actor.System, ct);
        return Scheduler.Place(request, hosts, new PlacedState(usage, vms), overcommit, options);
    }

    /// <summary>The VM as the scheduler sees it; a machine type that is gone counts as nothing (the create's checks refuse it first).</summary>
    public static PlacementRequest Request(Guid? id, VmSpec spec, JsonObject metadata, IReadOnlyDictionary<Guid, MachineTypeSpec> types,
        IReadOnlyDictionary<Guid, long> imageSizes)
    {
        var type = types.GetValueOrDefault(spec.MachineTypeId);
        var rules = spec.Placement ?? new VmPlacement();
        return new PlacementRequest(id, type?.Architecture ?? "unknown",
            spec.Vcpus != 0 ? spec.Vcpus : type?.Vcpus.Default ?? 0,
            (long)(spec.MemoryMiB != 0 ? spec.MemoryMiB : type?.MemoryMiB.Default ?? 0) << 20,
            DiskBytes(spec, imageSizes), type?.Placement == HostPlacement.Dedicated, metadata,
            Parse(rules.Affinity), Parse(rules.AntiAffinity));
    }

    private static long DiskBytes(VmSpec spec, IReadOnlyDictionary<Guid, long> imageSizes) =>
        spec.DiskGiB != 0 ? (long)spec.DiskGiB << 30 : imageSizes.GetValueOrDefault(spec.ImageId);

    /// <summary>Rules were checked when stored; one that no longer parses (a stricter parser) is skipped rather than blocking every placement.</summary>
    private static List<PlacementRule> Parse(IReadOnlyList<VmPlacementRule> rules)
    {
        var parsed = new List<PlacementRule>(rules.Count);
        foreach (var rule in rules)
        {
            try
            {
                parsed.Add(PlacementRule.Parse(rule.Selector, rule.Hard));
            }
            catch (Store.Selectors.SelectorParseException)
            {
            }
        }
        return parsed;
    }

    /// <summary>
    /// Every VM with a host summed per host (<see cref="HostAllocations"/>: a moving VM on its source and its target), the
    /// VM <paramref name="id"/> left out; and the dedicated machine types placed VMs use (their VMs are read one by one).
    /// </summary>
    private static async Task<(List<HostUsage> Usage, HashSet<Guid> DedicatedTypes)> UsageAsync(KindReader reader, Guid? id,
        IReadOnlyDictionary<Guid, MachineTypeSpec> types, IReadOnlyDictionary<Guid, long> imageSizes, CancellationToken ct)
    {
        var allocations = await HostAllocations.SumAsync(reader, types, imageSizes, id, ct);
        var dedicated = allocations.Where(a => a.Type?.Placement == HostPlacement.Dedicated).Select(a => a.MachineTypeId).ToHashSet();
        return (allocations.Select(a => a.Usage).ToList(), dedicated);
    }

    /// <summary>
    /// The VMs with a host the rules can look at: those a rule's selector of the VM being placed matches (through the
    /// store's selector SQL), those with anti-affinity rules of their own (which apply both ways), and those of a dedicated
    /// machine type. Names <paramref name="shownTo"/> may not see are withheld.
    /// </summary>
    private static async Task<List<PlacedVm>> RuleVmsAsync(KindReader reader, PlacementRequest request, IReadOnlySet<Guid> dedicatedTypes,
        IReadOnlyDictionary<Guid, MachineTypeSpec> types, IReadOnlyDictionary<Guid, long> imageSizes, Actor shownTo, CancellationToken ct)
    {
        var queries = new List<IQueryable<ResourceRow>>();
        foreach (var rule in request.Affinity.Concat(request.AntiAffinity).DistinctBy(r => r.Text))
            queries.Add(await reader.MatchingAsync(Kinds.Vms, rule.Selector, ct));
        // A LIKE narrows in SQL; the spec read below decides. Specs are stored as KrautJson writes them (keys as here).
        queries.Add(reader.Rows(Kinds.Vms).Where(r => EF.Functions.Like(r.Spec, "%\"antiAffinity\"%")));
        foreach (var type in dedicatedTypes)
        {
            var needle = "%" + type.ToString() + "%";
            queries.Add(reader.Rows(Kinds.Vms).Where(r => EF.Functions.Like(r.Spec, needle)));
        }

        var rows = new Dictionary<Guid, VmRow>();
        foreach (var query in queries)
        {
            var found = await query.Where(r => r.Id != request.Id)
                .Select(r => new VmRow(r.Seq, r.Id, r.Name, r.Owner, r.IsSystem, r.Metadata, r.Spec, r.Status)).ToListAsync(ct);
            foreach (var row in found) rows.TryAdd(row.Id, row);
        }
        var placed = new List<PlacedVm>(rows.Count);
        foreach (var row in rows.Values.OrderBy(r => r.Seq))
        {
            var spec = KrautJson.Deserialize<VmSpec>(row.Spec);
            if ((StatusHost(row.Status) ?? spec.Host) is not { } host) continue;
            var metadata = KrautJson.ParseObject(row.Metadata);
            var r = Request(row.Id, spec, metadata, types, imageSizes);
            var name = shownTo.MaySee(row.Owner, row.IsSystem) ? row.Name : "a VM of another owner";
            var vm = new PlacedVm(row.Id, name, host, r.Vcpus, r.MemoryBytes, r.DiskBytes, r.Dedicated, metadata, r.AntiAffinity.Where(a => a.Hard).ToList());
            placed.Add(vm);
            // While moving it is on both hosts for the rules too (see UsageAsync).
            if (spec.Host is { } wanted && wanted != host) placed.Add(vm with { Host = wanted });
        }
        return placed;
    }

    private sealed record VmRow(long Seq, Guid Id, string Name, string Owner, bool IsSystem, string Metadata, string Spec, string Status);

    private static string? StatusHost(string status)
    {
        using var document = JsonDocument.Parse(status);
        return document.RootElement.TryGetProperty("host", out var host) && host.ValueKind == JsonValueKind.String ? host.GetString() : null;
    }

    /// <summary>Each host as last reported: facts never waited for when known, cordons from the settings table.</summary>
    public async Task<IReadOnlyList<HostFacts>> HostsAsync(CancellationToken ct)
    {
        var cordoned = await cordons.AllAsync(ct);
        var drive = new DriveInfo(paths.Root);
        var list = new List<HostFacts>(hosts.Hosts.Count);
        foreach (var host in hosts.Hosts)
        {
            var reading = await nodes.GetAsync(host, waitForFresh: false);
            var facts = reading.Facts;
            var archs = (host.Capabilities?.Guests.Select(g => g.Arch) ?? []).Concat(["x86_64", "aarch64"])
                .Where(a => host.WhyCannotRun(a) is null).ToHashSet(StringComparer.Ordinal);
            // The host's own judgement (KrautHost.ArchitectureSupport): emulated archs are weighed down; whether they may run at all
            // (Kraut:AllowEmulation) is already in archs through WhyCannotRun.
            var emulated = host.IsDemo ? [] : archs.Where(a => host.ArchitectureSupport(a).Kind == ArchitectureSupportKind.Emulated).ToHashSet(StringComparer.Ordinal);
            // Local hosts keep VM disks in Kraut's data directory, one filesystem they share. A remote host's disk is not
            // read yet (hosts2: its storage pool); until then the same figure stands in, counted for that host alone.
            var pool = host.IsLocal || host.IsDemo ? "data-directory" : host.Uri;
            list.Add(new HostFacts(host.Uri, facts is not null && reading.Error is null && host.Capabilities is not null, cordoned.ContainsKey(host.Uri),
                facts?.Cpus ?? 0, (long)(facts?.MemoryKiB ?? 0) * 1024, drive.TotalSize, pool, archs, emulated,
                reading.Error ?? host.Error ?? (facts is null ? "has not reported its CPUs and memory yet" : null)));
        }
        return list;
    }
}
