using System.Text.Json.Nodes;
using KrautPortal.Features.Scheduling;

namespace KrautPortal.Tests.Scheduling;

/// <summary>The one place that decides a host's overcommit: host ?? installation ?? configuration, and the scheduler applying it per host.</summary>
public sealed class HostOvercommitsTests
{
    private const long GiB = 1L << 30;
    private static readonly OvercommitOptions Configured = new() { CpuOvercommit = 4, MemoryOvercommit = 1, DiskOvercommit = 1, HostMemoryReserveMiB = 0 };

    [Fact]
    public void EachValue_ComesFromTheHost_ElseTheInstallation_ElseTheConfiguration()
    {
        var o = new HostOvercommits(Configured, new OvercommitValues(Cpu: 8, Memory: 0.5),
            new Dictionary<string, OvercommitValues> { ["a"] = new(Memory: 2, ReservedMemoryMiB: 256) });

        var a = o.Explain("a");
        Assert.Equal(new OvercommitSourced(8, HostOvercommits.FromInstallation), a.Cpu);
        Assert.Equal(new OvercommitSourced(2, HostOvercommits.FromHost), a.Memory);
        Assert.Equal(new OvercommitSourced(1, HostOvercommits.FromDefault), a.Disk);
        Assert.Equal(new OvercommitSourced(256, HostOvercommits.FromHost), a.ReservedMemoryMiB);
        Assert.Equal(2 * 4 * GiB - (256L << 20), o.For("a").MemoryCeiling(4 * GiB));
        Assert.Equal(2 * GiB, o.For("b").MemoryCeiling(4 * GiB)); // no values of its own: the installation's 0.5
        Assert.Same(o.Everywhere, o.For("b"));
        Assert.Equal(4, o.WithHost("a", new OvercommitValues()).WithInstallation(new OvercommitValues()).For("a").CpuOvercommit);
    }

    [Fact]
    public void Scheduler_AppliesEachHostsOwnRatio_AndTheMemoryFilterNamesIt()
    {
        HostFacts Host(string uri) => new(uri, true, false, 4, 4 * GiB, 100 * GiB, uri, new HashSet<string> { "x86_64" }, new HashSet<string>());
        var vm = new PlacementRequest(null, "x86_64", 1, 3 * GiB, GiB, false, new JsonObject(), [], []);
        var o = new HostOvercommits(Configured, hosts: new Dictionary<string, OvercommitValues> { ["a"] = new(Memory: 0.5) });

        var decision = Scheduler.Place(vm, [Host("a"), Host("b")], [], o, new SchedulingOptions());

        Assert.Equal("b", decision.Host);
        var a = decision.Hosts.Single(h => h.Host == "a");
        Assert.Equal("memory", a.Filter);
        Assert.Contains("(4 GiB × 0.5 − 0 B reserve = 2 GiB,", a.Reason, StringComparison.Ordinal);
    }
}
