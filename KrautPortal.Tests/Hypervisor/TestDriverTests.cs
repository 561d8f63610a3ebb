using KrautPortal.Hypervisor;
using static KrautPortal.Tests.Hypervisor.TestSupport;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>The libvirt binding against libvirt's in-memory test driver: real libvirt code, no daemon.</summary>
public sealed class TestDriverTests : IDisposable
{
    private readonly LibvirtConnection _conn = LibvirtConnection.Open(TestUri);

    public void Dispose() => _conn.Dispose();

    [Fact]
    public void Open_ReportsUriHostnameAndTestDriver()
    {
        Assert.Equal(TestUri, _conn.Uri);
        Assert.True(_conn.IsTestDriver);
        Assert.False(string.IsNullOrWhiteSpace(_conn.Hostname));
        Assert.True(_conn.IsAlive);
        Assert.False(_conn.Closed.IsCompleted);
    }

    [Fact]
    public void GetCapabilities_ParsesHostArchAndTestGuests()
    {
        var caps = _conn.GetCapabilities();

        Assert.Equal("i686", caps.HostArch);
        var guest = caps.FindGuest("i686");
        Assert.NotNull(guest);
        Assert.Equal("/usr/bin/test-hv", guest.Emulator);
        Assert.True(guest.SupportsDomainType("test"));
        Assert.False(guest.SupportsDomainType("kvm"));
        Assert.Null(caps.FindGuest("aarch64"));
    }

    [Fact]
    public async Task DomainLifecycle_DefineStartEventsStopUndefine()
    {
        using var events = _conn.SubscribeDomainEvents();
        var def = TestDriverDomain(UniqueName("dom-"), "Web server", Metadata());
        try
        {
            using var dom = _conn.DefineDomain(DomainXml.Build(def));
            Assert.Equal(def.Uuid, dom.Uuid);
            Assert.Equal(def.Name, dom.Name);
            Assert.Equal(DomainState.Shutoff, dom.GetState());
            Assert.Contains(_conn.ListAllDomains(), d => d.Uuid == def.Uuid);
            await WaitForEventAsync(events, def.Uuid, DomainEventType.Defined, TimeSpan.FromSeconds(10));

            dom.Start();
            Assert.Equal(DomainState.Running, dom.GetState());
            Assert.True(dom.IsActive);
            var started = await WaitForEventAsync(events, def.Uuid, DomainEventType.Started, TimeSpan.FromSeconds(10));
            Assert.Equal(def.Name, started.DomainName);
            Assert.Equal(TestUri, started.ConnectionUri);

            dom.Reboot();
            Assert.Equal(DomainState.Running, dom.GetState());

            dom.Shutdown();
            Assert.Equal(DomainState.Shutoff, dom.GetState());
            await WaitForEventAsync(events, def.Uuid, DomainEventType.Stopped, TimeSpan.FromSeconds(10));

            dom.Start();
            dom.Destroy();
            Assert.Equal(DomainState.Shutoff, dom.GetState());

            dom.Undefine();
            await WaitForEventAsync(events, def.Uuid, DomainEventType.Undefined, TimeSpan.FromSeconds(10));
            Assert.Null(_conn.FindDomain(def.Uuid));
            Assert.DoesNotContain(_conn.ListAllDomains(), d => d.Uuid == def.Uuid);
        }
        finally
        {
            RemoveDomain(_conn, def.Uuid);
        }
    }

    [Fact]
    public void DefineDomain_AgainWithSameUuid_UpdatesTheDefinition()
    {
        var def = TestDriverDomain(UniqueName("upd-"), "before", Metadata());
        try
        {
            using var first = _conn.DefineDomain(DomainXml.Build(def));
            using var second = _conn.DefineDomain(DomainXml.Build(def with { Title = "after", MemoryMiB = 256 }));

            var summary = DomainXml.Parse(first.GetXml(inactive: true));
            Assert.Equal("after", summary.Title);
            Assert.Equal(256, summary.MemoryMiB);
        }
        finally
        {
            RemoveDomain(_conn, def.Uuid);
        }
    }

    [Fact]
    public void HostileNameTitleAndMetadata_RoundTripIntactThroughLibvirt()
    {
        var metadata = new KrautDomainMetadata(Guid.NewGuid(), HostileMetadata, HostileName, long.MaxValue);
        var def = TestDriverDomain(UniqueName("x-") + HostileName, HostileName + " " + HostileMetadata, metadata);
        try
        {
            using var dom = _conn.DefineDomain(DomainXml.Build(def));
            Assert.Equal(def.Name, dom.Name);

            var summary = DomainXml.Parse(dom.GetXml(inactive: true));
            Assert.Equal(def.Name, summary.Name);
            Assert.Equal(def.Title, summary.Title);
            Assert.Equal(metadata, summary.Metadata);
            Assert.Single(summary.DiskPaths); // the injected <disk> did not become a device
            Assert.Equal(metadata, dom.GetKrautMetadata());
        }
        finally
        {
            RemoveDomain(_conn, def.Uuid);
        }
    }

    [Fact]
    public void KrautMetadata_SetAndGet_OnInactiveAndRunningDomain()
    {
        var def = TestDriverDomain(UniqueName("meta-"), "meta", Metadata());
        try
        {
            using var dom = _conn.DefineDomain(DomainXml.Build(def));
            Assert.Equal(def.Metadata, dom.GetKrautMetadata());

            var changed = new KrautDomainMetadata(def.Metadata.VmId, HostileMetadata, HostileName, 7);
            dom.SetKrautMetadata(changed);
            Assert.Equal(changed, dom.GetKrautMetadata());
            Assert.Equal(changed, DomainXml.Parse(dom.GetXml(inactive: true)).Metadata);

            dom.Start();
            var running = changed with { SpecVersion = 8 };
            dom.SetKrautMetadata(running);
            Assert.Equal(running, dom.GetKrautMetadata());                                  // live
            Assert.Equal(running, DomainXml.Parse(dom.GetXml(inactive: true)).Metadata);    // and next boot
            dom.Destroy();
        }
        finally
        {
            RemoveDomain(_conn, def.Uuid);
        }
    }

    [Fact]
    public void GetKrautMetadata_ForeignDomain_IsNull()
    {
        // The test driver's built-in domain "test" was not made by Kraut.
        using var foreign = _conn.ListAllDomains().Single(d => d.Name == "test");
        Assert.Null(foreign.GetKrautMetadataXml());
        Assert.Null(foreign.GetKrautMetadata());
    }

    [Fact]
    public void DefineDomain_InvalidXml_ThrowsLibvirtExceptionWithLibvirtsCode()
    {
        var ex = Assert.Throws<LibvirtException>(() => _conn.DefineDomain("<domain type='test'><name>broken"));

        Assert.Equal(LibvirtException.ErrXmlDetail, ex.Code);
        Assert.True(ex.ErrorDomain > 0);
        Assert.Equal("virDomainDefineXML", ex.Operation);
        Assert.False(string.IsNullOrWhiteSpace(ex.LibvirtMessage));
    }

    [Fact]
    public void FindDomain_Unknown_IsNull() => Assert.Null(_conn.FindDomain(Guid.NewGuid()));

    [Fact]
    public void FindNetwork_Missing_IsNull() => Assert.Null(_conn.FindNetwork(UniqueName("nonet-")));

    [Fact]
    public void DestroyingAStoppedDomain_IsOperationInvalid()
    {
        var def = TestDriverDomain(UniqueName("inv-"), "t", Metadata());
        try
        {
            using var dom = _conn.DefineDomain(DomainXml.Build(def));
            var ex = Assert.Throws<LibvirtException>(dom.Destroy);
            Assert.True(ex.IsOperationInvalid, ex.Message);
            Assert.Equal("virDomainDestroy", ex.Operation);
        }
        finally
        {
            RemoveDomain(_conn, def.Uuid);
        }
    }

    [Fact]
    public void StaleHandles_AfterUndefine_ReportNoDomainAndNoNetwork()
    {
        var def = TestDriverDomain(UniqueName("stale-"), "t", Metadata());
        var netName = UniqueName("stalenet-");
        try
        {
            using var dom = _conn.DefineDomain(DomainXml.Build(def));
            using (var other = _conn.FindDomain(def.Uuid)!)
            {
                other.Undefine();
            }

            Assert.True(Assert.Throws<LibvirtException>(dom.Start).IsNoDomain);

            using var net = _conn.DefineNetwork(NetworkXml.Build(
                new NetworkDefinition(netName, null, "none", null, 24, null, null, [])));
            using (var other = _conn.FindNetwork(netName)!)
            {
                other.Undefine();
            }

            Assert.Null(_conn.FindNetwork(netName));
            var ex = Assert.Throws<LibvirtException>(net.Start);
            Assert.True(ex.IsNoNetwork, ex.Message);
        }
        finally
        {
            RemoveDomain(_conn, def.Uuid);
            RemoveNetwork(_conn, netName);
        }
    }

    [Fact]
    public void AttachDevice_OnTestDriver_IsUnsupported()
    {
        // The test driver implements no hot-plug; QemuSystemTests covers attach/detach for real.
        var def = TestDriverDomain(UniqueName("nic-"), "t", Metadata());
        try
        {
            using var dom = _conn.DefineDomain(DomainXml.Build(def));
            var ex = Assert.Throws<LibvirtException>(() =>
                dom.AttachDevice(DomainXml.BuildNic(new NicDefinition(RandomMac(), "default")), live: false, config: true));
            Assert.True(ex.IsUnsupported, ex.Message);
        }
        finally
        {
            RemoveDomain(_conn, def.Uuid);
        }
    }

    [Fact]
    public void Network_DefineStartInspectDestroyUndefine()
    {
        var name = UniqueName("net-");
        var def = new NetworkDefinition(name, Guid.NewGuid(), "none", "10.77.1.1", 24, "10.77.1.100", "10.77.1.200",
            [new DhcpHost(RandomMac(), "10.77.1.10", HostileName)]);
        try
        {
            using var net = _conn.DefineNetwork(NetworkXml.Build(def));
            Assert.Equal(name, net.Name);
            Assert.Equal(def.Uuid, net.Uuid);
            Assert.True(net.IsPersistent);
            Assert.False(net.IsActive);
            Assert.Contains(_conn.ListAllNetworks(), n => n.Name == name);

            net.Start();
            Assert.True(net.IsActive);
            Assert.Null(net.GetBridgeName()); // the test driver assigns no bridge; qemu:///system does
            Assert.Contains("10.77.1.100", net.GetXml(), StringComparison.Ordinal);
            Assert.Empty(net.GetDhcpLeases());
            net.SetAutostart(true);

            net.Destroy();
            net.Undefine();
            Assert.Null(_conn.FindNetwork(name));
        }
        finally
        {
            RemoveNetwork(_conn, name);
        }
    }

    [Fact]
    public void GetInterfaceAddresses_OfStoppedDomain_IsEmpty()
    {
        var def = TestDriverDomain(UniqueName("ip-"), "t", Metadata());
        try
        {
            using var dom = _conn.DefineDomain(DomainXml.Build(def));
            Assert.Empty(dom.GetInterfaceAddresses());
        }
        finally
        {
            RemoveDomain(_conn, def.Uuid);
        }
    }

    [Fact]
    public async Task Connection_UsedFromManyThreads_StaysConsistent()
    {
        var defs = Enumerable.Range(0, 8)
            .Select(i => TestDriverDomain(UniqueName($"par{i}-"), $"p{i}", Metadata()))
            .ToList();
        try
        {
            await Task.WhenAll(defs.Select(def => Task.Run(() =>
            {
                using var dom = _conn.DefineDomain(DomainXml.Build(def));
                for (var i = 0; i < 20; i++)
                {
                    dom.Start();
                    Assert.Equal(DomainState.Running, dom.GetState());
                    Assert.Equal(def.Metadata, DomainXml.Parse(dom.GetXml()).Metadata);
                    dom.Destroy();
                    _ = _conn.ListAllDomains().Count;
                }
            })));
        }
        finally
        {
            defs.ForEach(d => RemoveDomain(_conn, d.Uuid));
        }
    }

    [Fact]
    public async Task Dispose_CompletesClosedAndEndsSubscriptions()
    {
        var conn = LibvirtConnection.Open(TestUri);
        var events = conn.SubscribeDomainEvents();

        conn.Dispose();

        Assert.Equal(ConnectionCloseReason.Client, await conn.Closed.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(conn.IsAlive);
        await events.Reader.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Throws<ObjectDisposedException>(() => conn.SubscribeDomainEvents());
        conn.Dispose(); // idempotent
    }

    [Fact]
    public async Task TwoSubscribers_BothReceiveEveryEvent()
    {
        using var a = _conn.SubscribeDomainEvents();
        using var b = _conn.SubscribeDomainEvents();
        var def = TestDriverDomain(UniqueName("fan-"), "t", Metadata());
        try
        {
            using var dom = _conn.DefineDomain(DomainXml.Build(def));
            dom.Start();
            await WaitForEventAsync(a, def.Uuid, DomainEventType.Started, TimeSpan.FromSeconds(10));
            await WaitForEventAsync(b, def.Uuid, DomainEventType.Started, TimeSpan.FromSeconds(10));
            dom.Destroy();
        }
        finally
        {
            RemoveDomain(_conn, def.Uuid);
        }
    }

    [Fact]
    public void Open_UnknownDriver_ThrowsLibvirtException()
    {
        var ex = Assert.Throws<LibvirtException>(() => LibvirtConnection.Open("nosuchdriver:///x"));
        Assert.Equal("virConnectOpen", ex.Operation);
        Assert.True(ex.Code > 0);
    }
}
