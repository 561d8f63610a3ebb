using System.Globalization;
using System.Text.RegularExpressions;
using KrautPortal.Hypervisor;
using KrautPortal.TestSupport;
using static KrautPortal.Tests.Hypervisor.TestSupport;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>The host facts capacity is built on, checked against virsh (an independent libvirt client).</summary>
public sealed partial class NodeFactsTests
{
    [Fact]
    public void GetNodeFacts_OnTheTestDriver_ReturnsItsFixedHostAndNoMemoryStatistics()
    {
        using var conn = LibvirtConnection.Open(TestUri);

        var facts = conn.GetNodeFacts();

        // The figures `virsh -c test:///default nodeinfo` prints; the driver has no virNodeGetMemoryStats.
        Assert.Equal(16, facts.Cpus);
        Assert.Equal(3145728UL, facts.MemoryKiB);
        Assert.Equal("i686", facts.Model);
        Assert.Null(facts.FreeMemoryKiB);
        Assert.Null(conn.GetNodeFacts().CpuBusyFraction); // its CPU counters never move
    }

    [Fact]
    public async Task GetNodeFacts_OnQemuSystem_EqualsWhatVirshReports()
    {
        using var conn = LibvirtConnection.Open(SystemUri);

        var facts = conn.GetNodeFacts();
        var nodeinfo = Fields(Tool.Run("virsh", "-c", SystemUri, "nodeinfo"));
        var memstats = Fields(Tool.Run("virsh", "-c", SystemUri, "nodememstats"));

        Assert.Equal(int.Parse(nodeinfo["CPU(s)"], CultureInfo.InvariantCulture), facts.Cpus);
        Assert.Equal(nodeinfo["CPU model"], facts.Model);
        Assert.Equal(KiB(nodeinfo["Memory size"]), facts.MemoryKiB);
        Assert.Equal(KiB(memstats["total"]), facts.MemoryKiB);

        // Free memory moves between the two reads (other guests, page cache): equal within 256 MiB.
        var virshFree = KiB(memstats["free"]) + KiB(memstats["buffers"]) + KiB(memstats["cached"]);
        Assert.NotNull(facts.FreeMemoryKiB);
        Assert.InRange((double)facts.FreeMemoryKiB.Value, virshFree - 262144.0, virshFree + 262144.0);
        Assert.InRange(facts.FreeMemoryKiB.Value, 1UL, facts.MemoryKiB);

        // The busy share needs two readings whose counters moved: the host's clock ticks at 100 Hz.
        Assert.Null(facts.CpuBusyFraction);
        double? busy = null;
        await Eventually.WaitUntilAsync(() => (busy = conn.GetNodeFacts().CpuBusyFraction) is not null,
            TimeSpan.FromSeconds(10), "the host's CPU counters to move");
        Assert.InRange(busy!.Value, 0.0, 1.0);
    }

    /// <summary>"Name: value" lines of virsh's output.</summary>
    private static Dictionary<string, string> Fields(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0].Trim(), parts => parts[1].Trim());

    private static ulong KiB(string value) =>
        ulong.Parse(KiBValue().Match(value).Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(\d+)\s*KiB$")]
    private static partial Regex KiBValue();
}
