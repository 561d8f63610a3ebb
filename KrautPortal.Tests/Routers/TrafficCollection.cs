namespace KrautPortal.Tests.Routers;

/// <summary>
/// The router traffic tests share one lab (portal, networks, guests, router, "internet" namespace): building it boots
/// three TCG guests, so it is built once. Each test sets the firewall it needs and waits for it to be in force, so the
/// order of tests does not matter. Not run in parallel with anything (real guests, one libvirtd).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrafficCollection : ICollectionFixture<TrafficLab>
{
    public const string Name = "Router traffic";
}
