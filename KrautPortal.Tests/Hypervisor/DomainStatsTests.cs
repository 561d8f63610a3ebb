using KrautPortal.Hypervisor;
using static KrautPortal.Tests.Hypervisor.TestSupport;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>The bulk statistics call against libvirt's test driver, which reports states only: the rest must be null.</summary>
public sealed class DomainStatsTests
{
    [Fact]
    public void GetAllDomainStats_OnTheDefaultTestDriver_ReportsTheRunningTestDomainWithNullCounters()
    {
        using var conn = LibvirtConnection.Open(TestUri);

        var stats = conn.GetAllDomainStats();

        var test = Assert.Single(stats, s => s.Name == "test");
        Assert.Equal(DomainState.Running, test.State);
        Assert.Equal(conn.ListAllDomains().Single(d => d.Name == "test").Uuid, test.Uuid);
        Assert.Null(test.CpuTimeNanoseconds);
        Assert.Null(test.MemoryRssKiB);
        Assert.Empty(test.Blocks);
        Assert.Empty(test.Interfaces);
    }

    [Fact]
    public void GetAllDomainStats_ReportsEveryDomainOfACustomNode_RunningAndStopped()
    {
        var dir = Directory.CreateTempSubdirectory("kraut-stats-");
        try
        {
            var running = Guid.NewGuid();
            var stopped = Guid.NewGuid();
            var node = Path.Combine(dir.FullName, "node.xml");
            File.WriteAllText(node, $"<node>{NodeDomain("run", running, "running")}{NodeDomain("off", stopped, "shutoff")}</node>");
            using var conn = LibvirtConnection.Open("test://" + node);

            var stats = conn.GetAllDomainStats().ToDictionary(s => s.Uuid);

            Assert.Equal(2, stats.Count);
            Assert.Equal(("run", DomainState.Running), (stats[running].Name, stats[running].State));
            Assert.Equal(("off", DomainState.Shutoff), (stats[stopped].Name, stats[stopped].State));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void GetAllDomainStats_AfterDispose_Throws()
    {
        var conn = LibvirtConnection.Open(TestUri);
        conn.Dispose();

        Assert.Throws<ObjectDisposedException>(() => conn.GetAllDomainStats());
    }

    [Fact]
    public void Builder_GroupsIndexedBlockAndNetFields_AndKeepsMissingOnesNull()
    {
        var uuid = Guid.NewGuid();
        var builder = new DomainStatsBuilder(uuid, "web");
        builder.Add("state.state", 1UL);
        builder.Add("cpu.time", 123_000UL);
        builder.Add("vcpu.current", 2UL);
        builder.Add("balloon.current", 1024UL);
        builder.Add("balloon.rss", 900UL);
        builder.Add("block.count", 2UL);
        builder.Add("block.0.name", "vda");
        builder.Add("block.0.path", "/var/lib/kraut/a.qcow2");
        builder.Add("block.0.rd.bytes", 10UL);
        builder.Add("block.0.wr.bytes", 20UL);
        builder.Add("block.0.wr.reqs", 3UL);
        builder.Add("block.1.name", "vdb");
        builder.Add("block.1.capacity", 1UL << 30);
        builder.Add("net.count", 1UL);
        builder.Add("net.0.name", "vnet3");
        builder.Add("net.0.rx.bytes", 500UL);
        builder.Add("net.0.tx.pkts", 7UL);
        builder.Add("block.x.name", "not an index: ignored");
        builder.Add("some.future.field", 5UL);

        var s = builder.Build();

        Assert.Equal((uuid, "web", DomainState.Running, 123_000UL, 2), (s.Uuid, s.Name, s.State, s.CpuTimeNanoseconds, s.Vcpus));
        Assert.Equal((1024UL, 900UL), (s.MemoryCurrentKiB, s.MemoryRssKiB));
        Assert.Null(s.MemoryUsableKiB);
        Assert.Null(s.MemoryMaximumKiB);
        Assert.Equal(
            [new BlockStats("vda", "/var/lib/kraut/a.qcow2", 10, 20, 0, 3, null, null, null), new BlockStats("vdb", null, 0, 0, 0, 0, null, 1UL << 30, null)],
            s.Blocks);
        Assert.Equal([new InterfaceStats("vnet3", 500, 0, 0, 7, 0, 0, 0, 0)], s.Interfaces);
    }

    private static string NodeDomain(string name, Guid uuid, string state) => $"""
        <domain type='test'>
          <name>{name}</name><uuid>{uuid}</uuid><memory>131072</memory><vcpu>1</vcpu>
          <os><type arch='i686'>hvm</type></os>
          <test:runstate xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>{(state == "running" ? 1 : 5)}</test:runstate>
        </domain>
        """;
}
