namespace KrautPortal.Features.Scheduling;

/// <summary>
/// Chooses a host for a VM: every filter in order on every host, then the weighers on the hosts left. A pure function of
/// its inputs, so the create's transaction, the dry run, the reconciler's fallback, the tests and the benchmark agree.
/// </summary>
public static class Scheduler
{
    public static PlacementDecision Place(PlacementRequest vm, IReadOnlyList<HostFacts> hosts, IReadOnlyList<PlacedVm> placed,
        HostOvercommits overcommit, SchedulingOptions options) =>
        Place(vm, hosts, PlacedState.FromVms(placed, vm.Id), overcommit, options);

    /// <param name="overcommit">Each host's ratios and reserve (<see cref="HostOvercommits.For"/>: its own, the installation's or the configured).</param>
    public static PlacementDecision Place(PlacementRequest vm, IReadOnlyList<HostFacts> hosts, PlacedState placed,
        HostOvercommits overcommit, SchedulingOptions options)
    {
        // A hard affinity rule no placed VM matches yet names the first of its group: that one may go anywhere.
        var others = placed.Vms.Where(p => p.Id != vm.Id).ToList();
        var effective = vm.Affinity.Any(r => r.Hard)
            ? vm with { Affinity = vm.Affinity.Where(r => !r.Hard || others.Any(p => r.Matches(p.Metadata))).ToList() }
            : vm;

        var verdicts = new List<HostVerdict>(hosts.Count);
        foreach (var load in HostLoad.Of(hosts, placed, vm.Id))
        {
            var refused = false;
            var o = overcommit.For(load.Host.Uri);
            foreach (var filter in Filters.All)
            {
                if (filter.Refusal(effective, load, o) is not { } reason) continue;
                verdicts.Add(new HostVerdict(load.Host.Uri, filter.Name, reason, null, null));
                refused = true;
                break;
            }
            if (refused) continue;
            var weights = Weighers.All.ToDictionary(w => w.Name, w => Math.Round(w.Weigh(effective, load, o, options), 6));
            verdicts.Add(new HostVerdict(load.Host.Uri, null, null, Math.Round(weights.Values.Sum(), 6), weights));
        }

        // Best first; equal scores by URI, so the same inputs always give the same host.
        var ordered = verdicts.Where(v => v.Accepted).OrderByDescending(v => v.Score).ThenBy(v => v.Host, StringComparer.Ordinal)
            .Concat(verdicts.Where(v => !v.Accepted)).ToList();
        return new PlacementDecision(ordered.FirstOrDefault(v => v.Accepted)?.Host, ordered);
    }
}
