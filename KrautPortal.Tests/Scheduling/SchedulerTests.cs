using System.Text.Json.Nodes;
using KrautPortal.Features.Scheduling;

namespace KrautPortal.Tests.Scheduling;

/// <summary>The scheduler as a pure function: each filter refuses with its name and numbers, each weigher moves the choice.</summary>
public sealed class SchedulerTests
{
    private const long GiB = 1L << 30;
    private const long MiB = 1L << 20;
    private static readonly OvercommitOptions NoOvercommit = new() { CpuOvercommit = 1, MemoryOvercommit = 1, DiskOvercommit = 1, HostMemoryReserveMiB = 0 };

    private static HostFacts Host(string uri, int cpus = 8, long memory = 16 * GiB, long disk = 1000 * GiB, bool reachable = true,
        bool cordoned = false, string[]? archs = null, string[]? emulated = null, string? pool = null) =>
        new(uri, reachable, cordoned, cpus, memory, disk, pool ?? uri, (archs ?? ["x86_64"]).ToHashSet(), (emulated ?? []).ToHashSet(),
            reachable ? null : $"Cannot reach {uri}: connection refused");

    private static PlacementRequest Vm(int vcpus = 1, long memory = GiB, long disk = 10 * GiB, string arch = "x86_64", bool dedicated = false,
        string? labels = null, PlacementRule[]? affinity = null, PlacementRule[]? anti = null) =>
        new(null, arch, vcpus, memory, disk, dedicated, Labels(labels), affinity ?? [], anti ?? []);

    private static PlacedVm On(string host, string name = "other", int vcpus = 1, long memory = GiB, long disk = 10 * GiB, bool dedicated = false,
        string? labels = null, PlacementRule[]? anti = null) =>
        new(Guid.NewGuid(), name, host, vcpus, memory, disk, dedicated, Labels(labels), anti ?? []);

    /// <summary>"app=db,tier=1" as metadata { "app": "db", "tier": "1" }.</summary>
    private static JsonObject Labels(string? labels)
    {
        var o = new JsonObject();
        foreach (var pair in (labels ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=');
            o[kv[0]] = kv[1];
        }
        return o;
    }

    private static PlacementDecision Place(PlacementRequest vm, HostFacts[] hosts, PlacedVm[]? placed = null, OvercommitOptions? o = null,
        PlacementStrategy strategy = PlacementStrategy.Spread) =>
        Scheduler.Place(vm, hosts, placed ?? [], o ?? NoOvercommit, new SchedulingOptions { Strategy = strategy });

    private static HostVerdict Verdict(PlacementDecision d, string host) => d.Hosts.Single(h => h.Host == host);

    [Fact]
    public void Filters_RunInTheDocumentedOrder_WithANameAndASentenceEach()
    {
        Assert.Equal(["architecture", "reachable", "cordoned", "dedicated", "vcpus", "memory", "disk", "affinity", "anti-affinity"],
            Filters.All.Select(f => f.Name));
        Assert.All(Filters.All, f => Assert.EndsWith(".", f.Description, StringComparison.Ordinal));
        Assert.Equal(["room", "soft-affinity", "soft-anti-affinity", "emulation"], Weighers.All.Select(w => w.Name));
    }

    [Fact]
    public void Architecture_RefusesAHostWithoutTheVmsArchitecture_NamingWhatItRuns()
    {
        var d = Place(Vm(arch: "aarch64"), [Host("a"), Host("b", archs: ["x86_64", "aarch64"], emulated: ["aarch64"])]);

        Assert.Equal("b", d.Host);
        var a = Verdict(d, "a");
        Assert.Equal("architecture", a.Filter);
        Assert.Equal("runs x86_64 guests, not aarch64", a.Reason);
    }

    [Fact]
    public void Reachable_RefusesAHostThatDoesNotAnswer_WithItsError()
    {
        var d = Place(Vm(), [Host("a", reachable: false), Host("b")]);

        Assert.Equal("b", d.Host);
        Assert.Equal(("reachable", "Cannot reach a: connection refused"), (Verdict(d, "a").Filter, Verdict(d, "a").Reason));
    }

    [Fact]
    public void Cordoned_RefusesACordonedHost_EvenWhenItIsEmpty()
    {
        var d = Place(Vm(), [Host("a", cordoned: true), Host("b")], [On("b"), On("b")]);

        Assert.Equal("b", d.Host);
        Assert.Equal("cordoned", Verdict(d, "a").Filter);
    }

    [Fact]
    public void Dedicated_NeedsAnEmptyHost_AndNoVmJoinsAHostThatHoldsOne()
    {
        var hosts = new[] { Host("a"), Host("b") };
        var placed = new[] { On("a", name: "web") };

        var dedicated = Place(Vm(dedicated: true), hosts, placed);
        Assert.Equal("b", dedicated.Host);
        Assert.Equal("has 1 VM; a dedicated VM needs an empty host", Verdict(dedicated, "a").Reason);

        var next = Place(Vm(), hosts, [.. placed, On("b", name: "big", dedicated: true)]);
        Assert.Equal("a", next.Host);
        Assert.Equal(("dedicated", "holds the dedicated VM 'big'"), (Verdict(next, "b").Filter, Verdict(next, "b").Reason));
    }

    [Fact]
    public void Vcpus_CountOvercommit_AndSayHowManyAreFree()
    {
        var o = new OvercommitOptions { CpuOvercommit = 2, MemoryOvercommit = 1, HostMemoryReserveMiB = 0 };
        // 2 CPUs × 2 = 4 vCPUs; 3 promised; 1 free.
        var d = Place(Vm(vcpus: 2), [Host("a", cpus: 2)], [On("a", vcpus: 3)], o);

        Assert.Null(d.Host);
        var a = Verdict(d, "a");
        Assert.Equal("vcpus", a.Filter);
        Assert.Equal("1 vCPUs free after overcommit (2 CPUs × 2 = 4, 3 promised), needs 2", a.Reason);

        Assert.Equal("a", Place(Vm(vcpus: 1), [Host("a", cpus: 2)], [On("a", vcpus: 3)], o).Host); // exactly at the ceiling fits
    }

    [Fact]
    public void Memory_CountsOvercommitAndTheReserve_InGiB()
    {
        var o = new OvercommitOptions { CpuOvercommit = 4, MemoryOvercommit = 1.5, HostMemoryReserveMiB = 512 };
        // 4 GiB × 1.5 − 0.5 GiB = 5.5 GiB ceiling; 4 GiB promised: 1.5 GiB free.
        var d = Place(Vm(memory: 2 * GiB), [Host("a", memory: 4 * GiB)], [On("a", memory: 4 * GiB)], o);

        var a = Verdict(d, "a");
        Assert.Equal("memory", a.Filter);
        Assert.Equal("1.5 GiB free after overcommit and reserve (4 GiB × 1.5 − 512 MiB reserve = 5.5 GiB, 4 GiB promised), needs 2 GiB", a.Reason);
        Assert.Equal("a", Place(Vm(memory: 1536 * MiB), [Host("a", memory: 4 * GiB)], [On("a", memory: 4 * GiB)], o).Host);
    }

    [Fact]
    public void Memory_TheSameCeilingAsCapacity()
    {
        var o = new OvercommitOptions { MemoryOvercommit = 1.5, HostMemoryReserveMiB = 512 };
        Assert.Equal(4 * GiB * 1.5 - 512 * MiB, o.MemoryCeiling(4 * GiB));
        Assert.Equal(0, new OvercommitOptions { HostMemoryReserveMiB = 8192 }.MemoryCeiling(4 * GiB)); // never negative
    }

    [Fact]
    public void Disk_IsSharedByHostsOnOnePool()
    {
        // Two hosts on one 100 GiB pool: a's 70 GiB leaves 30 GiB for b as well.
        HostFacts[] hosts = [Host("a", disk: 100 * GiB, pool: "shared"), Host("b", disk: 100 * GiB, pool: "shared")];
        var d = Place(Vm(disk: 40 * GiB), hosts, [On("a", disk: 70 * GiB)]);

        Assert.Null(d.Host);
        Assert.Equal(("disk", "30 GiB of disk free after overcommit (100 GiB, 70 GiB promised), needs 40 GiB"), (Verdict(d, "b").Filter, Verdict(d, "b").Reason));
        Assert.Equal("b", Place(Vm(disk: 40 * GiB), [Host("a", disk: 100 * GiB), Host("b", disk: 100 * GiB)], [On("a", disk: 70 * GiB)]).Host);
    }

    [Fact]
    public void HardAntiAffinity_KeepsMatchingVmsApart_AndTheThirdIsRefusedNamingTheFilter()
    {
        var rule = PlacementRule.Parse("app=db", hard: true);
        HostFacts[] hosts = [Host("a"), Host("b")];
        var first = On("a", name: "db-1", labels: "app=db", anti: [rule]);
        var d2 = Place(Vm(labels: "app=db", anti: [rule]), hosts, [first]);
        Assert.Equal("b", d2.Host);

        var d3 = Place(Vm(labels: "app=db", anti: [rule]), hosts, [first, On("b", name: "db-2", labels: "app=db", anti: [rule])]);

        Assert.Null(d3.Host);
        Assert.All(d3.Hosts, h => Assert.Equal("anti-affinity", h.Filter));
        Assert.Equal("runs 'db-1', which matches \"app=db\" (hard anti-affinity)", Verdict(d3, "a").Reason);
        Assert.Contains("b: anti-affinity: runs 'db-2'", d3.Explain(), StringComparison.Ordinal);
    }

    [Fact]
    public void HardAntiAffinity_AppliesBothWays_ToAVmWithoutTheRule()
    {
        var d = Place(Vm(labels: "app=db"), [Host("a"), Host("b")], [On("a", name: "db-1", labels: "app=db", anti: [PlacementRule.Parse("app=db", true)])]);

        Assert.Equal("b", d.Host);
        Assert.Equal("runs 'db-1', whose hard anti-affinity \"app=db\" matches this VM", Verdict(d, "a").Reason);
    }

    [Fact]
    public void HardAntiAffinity_IgnoresVmsThatDoNotMatch_AndTheVmItself()
    {
        var self = On("a", name: "me", labels: "app=db");
        var vm = Vm(labels: "app=db", anti: [PlacementRule.Parse("app=db", true)]) with { Id = self.Id };

        var d = Place(vm, [Host("a")], [self, On("a", labels: "app=web")]);

        Assert.Equal("a", d.Host);
    }

    [Fact]
    public void HardAffinity_OnlyWhereAMatchingVmRuns_ButTheFirstOfItsGroupGoesAnywhere()
    {
        var rule = PlacementRule.Parse("app=web", true);
        HostFacts[] hosts = [Host("a"), Host("b")];

        Assert.NotNull(Place(Vm(affinity: [rule]), hosts).Host);

        var d = Place(Vm(affinity: [rule]), hosts, [On("b", labels: "app=web"), On("a", labels: "app=db")]);
        Assert.Equal("b", d.Host);
        Assert.Equal(("affinity", "runs no VM matching \"app=web\" (hard affinity)"), (Verdict(d, "a").Filter, Verdict(d, "a").Reason));
    }

    [Fact]
    public void TheFirstRefusingFilterIsTheOneNamed()
    {
        // Cordoned and full: cordoned comes first.
        var d = Place(Vm(memory: 64 * GiB), [Host("a", cordoned: true)]);
        Assert.Equal("cordoned", Verdict(d, "a").Filter);
    }

    [Fact]
    public void Spread_PicksTheHostWithMostRoom_PackTheFullestThatFits()
    {
        HostFacts[] hosts = [Host("a"), Host("b"), Host("c", cpus: 1, memory: 2 * GiB)];
        PlacedVm[] placed = [On("a", memory: 8 * GiB, vcpus: 4), On("b", memory: 2 * GiB)];

        var spread = Place(Vm(), hosts, placed);
        Assert.Equal("b", spread.Host);
        var pack = Place(Vm(), hosts, placed, strategy: PlacementStrategy.Pack);
        Assert.Equal("c", pack.Host); // half its memory and none of its one vCPU left: the fullest after placing
        var c = Verdict(pack, "c");
        Assert.True(c.Accepted);
        Assert.Equal(c.Score!.Value, c.Weights!.Values.Sum(), 6);

        // Accepted hosts come first, best first, then the refused.
        Assert.Equal(pack.Host, pack.Hosts[0].Host);
        Assert.True(pack.Hosts.Zip(pack.Hosts.Skip(1)).All(p => p.First.Score >= p.Second.Score || p.Second.Score is null));
    }

    [Fact]
    public void EqualScores_BreakTiesByUri_SoTheSameInputsGiveTheSameHost()
    {
        Assert.Equal("a", Place(Vm(), [Host("b"), Host("a")]).Host);
    }

    [Fact]
    public void SoftAntiAffinity_WeighsAgainstAHostWithAMatch_ButNeverRefuses()
    {
        var soft = PlacementRule.Parse("app=db", hard: false);
        // a has more room but runs a db; soft anti-affinity moves the VM to b.
        HostFacts[] hosts = [Host("a", memory: 64 * GiB), Host("b")];
        var d = Place(Vm(anti: [soft]), hosts, [On("a", labels: "app=db")]);
        Assert.Equal("b", d.Host);
        Assert.Equal(-2, Verdict(d, "a").Weights!["soft-anti-affinity"]);

        // With only a, it goes there all the same.
        Assert.Equal("a", Place(Vm(anti: [soft]), [Host("a")], [On("a", labels: "app=db")]).Host);
    }

    [Fact]
    public void SoftAffinity_WeighsTowardsAHostWithAMatch()
    {
        var soft = PlacementRule.Parse("app=web", hard: false);
        HostFacts[] hosts = [Host("a", memory: 64 * GiB), Host("b")];

        var d = Place(Vm(affinity: [soft]), hosts, [On("b", labels: "app=web")]);

        Assert.Equal("b", d.Host);
        Assert.Equal(2, Verdict(d, "b").Weights!["soft-affinity"]);
    }

    [Fact]
    public void Emulation_PrefersAHostThatRunsTheArchitectureNatively()
    {
        HostFacts[] hosts = [Host("x86", memory: 64 * GiB, archs: ["x86_64", "aarch64"], emulated: ["aarch64"]), Host("arm", archs: ["aarch64"])];

        var d = Place(Vm(arch: "aarch64"), hosts);

        Assert.Equal("arm", d.Host);
        Assert.Equal(-1, Verdict(d, "x86").Weights!["emulation"]);
    }

    [Fact]
    public void NoHosts_NoneChosen_AndTheExplanationSaysSo()
    {
        var d = Place(Vm(), []);
        Assert.Null(d.Host);
        Assert.Equal("No host can take this VM: no hosts are configured.", d.Explain());
    }

    [Fact]
    public void VmsOnHostsNoLongerListed_DoNotCountAgainstListedHosts()
    {
        var d = Place(Vm(memory: 16 * GiB), [Host("a")], [On("gone", memory: 16 * GiB)]);
        Assert.Equal("a", d.Host);
    }

    [Fact]
    public void Bytes_ReadLikeAPersonWroteThem()
    {
        Assert.Equal("1.5 GiB", Filters.Bytes(1.5 * GiB));
        Assert.Equal("512 MiB", Filters.Bytes(512 * MiB));
        Assert.Equal("0 B", Filters.Bytes(0));
    }
}
