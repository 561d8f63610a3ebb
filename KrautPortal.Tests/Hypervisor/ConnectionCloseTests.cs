using KrautPortal.Hypervisor;
using static KrautPortal.Tests.Hypervisor.TestSupport;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>Noticing a daemon that goes away, and releasing every callback registration.</summary>
public sealed class ConnectionCloseTests
{
    [Fact]
    public async Task DaemonDies_ClosedCompletes_IsAliveTurnsFalse_SubscriptionsEnd()
    {
        using var daemon = await PrivateLibvirtDaemon.StartAsync();
        using var conn = LibvirtConnection.Open(daemon.TestDriverUri);
        using var events = conn.SubscribeDomainEvents();
        Assert.True(conn.IsTestDriver);
        Assert.True(conn.IsAlive);
        Assert.True(conn.HasCloseCallback);

        // Events travel over the socket too.
        var def = TestDriverDomain(UniqueName("remote-"), "t", Metadata());
        using (var dom = conn.DefineDomain(DomainXml.Build(def)))
        {
            dom.Start();
            await WaitForEventAsync(events, def.Uuid, DomainEventType.Started, TimeSpan.FromSeconds(10));
        }

        daemon.Kill();

        var reason = await conn.Closed.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ConnectionCloseReason.EndOfFile, reason);
        Assert.False(conn.IsAlive);
        await events.Reader.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Throws<LibvirtException>(() => conn.ListAllDomains());

        conn.Dispose();
        await WaitUntilAsync(() => conn.LiveCallbackRegistrations == 0, TimeSpan.FromSeconds(10), "libvirt to release the callbacks");
    }

    [Theory]
    [InlineData(TestUri)]
    [InlineData(SystemUri)]
    public async Task Dispose_ReleasesEveryCallbackRegistration(string uri)
    {
        var conn = LibvirtConnection.Open(uri);
        Assert.True(conn.LiveCallbackRegistrations >= 1);

        conn.Dispose();

        // libvirt calls the free callbacks (which free the GCHandles) once no callback can run any more.
        await WaitUntilAsync(() => conn.LiveCallbackRegistrations == 0, TimeSpan.FromSeconds(10), "libvirt to release the callbacks");
    }
}
