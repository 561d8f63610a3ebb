namespace KrautPortal.Features.Auth;

/// <summary>Who is asking: the one shape every authenticator will produce and every feature checks.</summary>
public sealed record Actor(string Name, bool IsAdmin, IReadOnlyList<string> Groups)
{
    /// <summary>Kraut's own background work (reconcilers, seeding).</summary>
    public static readonly Actor System = new("system", IsAdmin: true, []);

    public bool MayAccessOwner(string owner) => IsAdmin || owner == Name || Groups.Contains(owner);
}
