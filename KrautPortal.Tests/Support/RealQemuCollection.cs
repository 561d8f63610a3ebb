namespace KrautPortal.Tests.Support;

/// <summary>
/// Tests that boot real guests under QEMU run one at a time: on two cores, parallel TCG guests would
/// only make each other slow, and they share the host's libvirtd.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealQemuCollection
{
    public const string Name = "Real QEMU";
}
