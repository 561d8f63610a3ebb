namespace KrautPortal.Tests.Support;

/// <summary>
/// Tests that boot real guests under QEMU run one at a time among themselves: on two cores, two such tests would only
/// make each other slow, and they share the host's libvirtd and its default network. They do run beside the other
/// collections (API, pages, browser): a booted guest mostly waits, and running them alone after everything else made
/// the suite about ten minutes longer than it needs to be. The router traffic lab still runs alone (three guests and
/// network namespaces it measures traffic in).
/// </summary>
[CollectionDefinition(Name)]
public sealed class RealQemuCollection
{
    public const string Name = "Real QEMU";
}
