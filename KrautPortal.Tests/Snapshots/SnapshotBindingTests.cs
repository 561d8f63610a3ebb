using KrautPortal.Hypervisor;
using static KrautPortal.Tests.Hypervisor.TestSupport;

namespace KrautPortal.Tests.Snapshots;

/// <summary>
/// The snapshot binding against libvirt's test driver (it keeps snapshot metadata and the parent/child tree, without
/// disks): take with and without memory, find, list, revert to the snapshot's state, delete idempotently, and the
/// versions capability detection reads.
/// </summary>
public sealed class SnapshotBindingTests : IDisposable
{
    private readonly LibvirtConnection _conn = LibvirtConnection.Open(TestUri);

    public void Dispose() => _conn.Dispose();

    [Fact]
    public void Snapshots_AreTaken_Listed_AsATree_Reverted_AndDeleted()
    {
        var def = TestDriverDomain(UniqueName("snap-"), "Snapshots", Metadata());
        using var dom = _conn.DefineDomain(DomainXml.Build(def));
        try
        {
            dom.Start();
            var running = dom.CreateSnapshot("11111111-1111-1111-1111-111111111111", "before the upgrade", withMemory: true);
            Assert.Equal("running", running.State);
            Assert.True(running.MemoryIncluded);
            Assert.True(running.Internal);
            Assert.Null(running.ParentName);
            Assert.Equal("before the upgrade", running.Description);
            Assert.NotNull(running.CreatedAt);

            dom.Destroy();
            var stopped = dom.CreateSnapshot("22222222-2222-2222-2222-222222222222", null, withMemory: false);
            Assert.Equal("shutoff", stopped.State);
            Assert.False(stopped.MemoryIncluded);
            Assert.Equal(running.Name, stopped.ParentName);

            Assert.Equal([running.Name, stopped.Name], dom.ListSnapshots().Select(s => s.Name).Order());
            Assert.Null(dom.FindSnapshot("33333333-3333-3333-3333-333333333333"));

            // Back to the running one: the domain runs again; to the stopped one: it is shut off.
            Assert.True(dom.RevertToSnapshot(running.Name));
            Assert.Equal(DomainState.Running, dom.GetState());
            Assert.True(dom.RevertToSnapshot(stopped.Name));
            Assert.Equal(DomainState.Shutoff, dom.GetState());
            Assert.False(dom.RevertToSnapshot("33333333-3333-3333-3333-333333333333"));

            Assert.True(dom.DeleteSnapshot(running.Name));
            Assert.False(dom.DeleteSnapshot(running.Name));
            var left = Assert.Single(dom.ListSnapshots());
            Assert.Equal(stopped.Name, left.Name);
            Assert.Null(left.ParentName);
        }
        finally
        {
            if (dom.IsActive) dom.Destroy();
            dom.Undefine();
        }
    }

    [Fact]
    public void SnapshotXml_IsBuiltWithAnXmlApi_SoADescriptionCannotInjectElements()
    {
        var xml = SnapshotXml.Internal("n", "</description><memory snapshot='external'/>", withMemory: false);
        var parsed = SnapshotXml.Parse(xml);
        Assert.Equal("</description><memory snapshot='external'/>", parsed.Description);
        Assert.True(parsed.Internal);
        Assert.False(parsed.MemoryIncluded);
    }

    [Fact]
    public void Versions_AreDecoded()
    {
        Assert.True(_conn.GetLibvirtVersion().Major >= 9);
        Assert.True(_conn.GetHypervisorVersion() > new Version(0, 0));
    }
}
