using System.Xml.Linq;
using KrautPortal.Hypervisor;
using static KrautPortal.Tests.Hypervisor.TestSupport;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>Kraut's network filters in the real libvirtd (nwfilter driver), and NICs referencing them in domain XML.</summary>
public sealed class GuestFiltersTests
{
    [Fact]
    public void Ensure_DefinesEveryFilter_AndASecondRunFindsThemCurrent()
    {
        using var conn = LibvirtConnection.Open(SystemUri);

        GuestFilters.Ensure(conn);
        var again = GuestFilters.Ensure(conn);

        // libvirt reads them back as written: nothing is redefined, so running guests' rules are not rebuilt for nothing.
        Assert.Empty(again);
        foreach (var name in GuestFilters.Definitions.Select(d => (string)d.Attribute("name")!))
        {
            using var filter = conn.FindNwFilter(name);
            Assert.NotNull(filter);
        }
        Assert.Null(conn.FindNwFilter("kraut-no-such-filter"));
    }

    [Fact]
    public void Ensure_RedefinesAFilterChangedBehindItsBack_KeepingItsUuid()
    {
        using var conn = LibvirtConnection.Open(SystemUri);
        GuestFilters.Ensure(conn);
        string uuid;
        using (var filter = conn.FindNwFilter(GuestFilters.Gateway)!)
        {
            var weakened = XElement.Parse(filter.GetXml());
            uuid = weakened.Element("uuid")!.Value;
            weakened.Elements("filterref").Skip(1).Remove();
            using (conn.DefineNwFilter(weakened.ToString())) { }
        }

        Assert.Equal([GuestFilters.Gateway], GuestFilters.Ensure(conn));
        using var restored = conn.FindNwFilter(GuestFilters.Gateway)!;
        Assert.Equal(uuid, XElement.Parse(restored.GetXml()).Element("uuid")!.Value);
        Assert.Equal(2, XElement.Parse(restored.GetXml()).Elements("filterref").Count());
    }

    [Fact]
    public void NicFilterRef_IsWrittenWithItsParameters_AndReadBack()
    {
        var filter = GuestFilters.ForGuest("10.20.0.7", "fd00:1:2:3::", 64);
        var nic = new NicDefinition("52:54:00:aa:bb:cc", "kraut-net", Filter: filter);

        var xml = XElement.Parse(DomainXml.BuildNic(nic));

        var filterref = xml.Element("filterref")!;
        Assert.Equal(GuestFilters.Guest, (string?)filterref.Attribute("filter"));
        Assert.Equal(["IP=10.20.0.7", "IPV6=fd00:1:2:3::", "IPV6MASK=64"],
            filterref.Elements("parameter").Select(p => $"{p.Attribute("name")!.Value}={p.Attribute("value")!.Value}"));
        var domain = DomainXml.Parse(DomainXml.Build(TestDomain() with { Nics = [nic] }));
        Assert.Equal(filter, domain.Nics.Single().Filter);
        Assert.Null(XElement.Parse(DomainXml.BuildNic(nic with { Filter = null })).Element("filterref"));
    }

    [Theory]
    [InlineData("10.0.0.5; rm", null)]
    [InlineData("10.0.0.5", "fd00::1' x='")]
    [InlineData("fd00::1", null)]
    public void ForGuest_RefusesAnythingButAddresses(string ipv4, string? ipv6) =>
        Assert.Throws<ArgumentException>(() => GuestFilters.ForGuest(ipv4, ipv6));

    private static DomainDefinition TestDomain() => new(Guid.NewGuid(), UniqueName("nwf"), "nwf", "test", "i686", null, null, 1, 64, [], [], null, Metadata());
}
