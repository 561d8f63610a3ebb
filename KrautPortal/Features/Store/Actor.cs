namespace KrautPortal.Features.Store;

/// <summary>Who is asking: the one shape every authenticator produces and every feature checks.</summary>
/// <param name="Name">The user; also the owner of what they create.</param>
/// <param name="Groups">Groups the user belongs to; objects a group owns are theirs too.</param>
/// <param name="Scope">Set when a limited-scope token speaks: the most it may do.</param>
/// <param name="Via">Which authenticator vouched for them, for the audit log.</param>
public sealed record Actor(string Name, bool IsAdmin, IReadOnlyList<string> Groups, TokenScope? Scope = null, string Via = "local")
{
    /// <summary>Kraut's own background work (reconcilers, seeding).</summary>
    public static readonly Actor System = new("system", IsAdmin: true, [], Via: "system");

    /// <summary>Kraut itself (<see cref="System"/>): the only actor that makes and changes system objects.</summary>
    public bool IsKraut => ReferenceEquals(this, System);

    /// <summary>Owner of objects everyone may read and use, but only admins change (seeded machine types, images, networks).</summary>
    public const string SharedOwner = "shared";

    public bool MayAccessOwner(string owner) => IsAdmin || owner == Name || Groups.Contains(owner);

    /// <summary>Whether an object of this owner is visible to the actor (as the store filters reads, without a token's selector).</summary>
    public bool MaySee(string owner, bool isSystem) => IsAdmin || (!isSystem && ReadableOwners.Contains(owner));

    /// <summary>
    /// Who history names for a change: the person, and the token if one spoke (<c>alice (token …)</c>). A token owned by
    /// a group acts as that group, but it is the person who made it that changes things.
    /// </summary>
    public string RecordedAs => Scope is { } scope ? $"{scope.Person ?? Name} (token {scope.TokenId})" : Name;

    /// <summary>The owners whose objects this actor may read: its own, its groups', and shared ones.</summary>
    public IReadOnlyList<string> ReadableOwners => [Name, .. Groups, SharedOwner];
}

/// <summary>What a limited-scope token may do: verbs (read, create, update, delete, or an action such as start), kinds, and a metadata selector.</summary>
/// <param name="Person">Who made the token (its owner may be a group).</param>
public sealed record TokenScope(Guid TokenId, IReadOnlyList<string> Verbs, IReadOnlyList<string> Kinds, string? Selector, DateTime ExpiresAt, string? Person = null)
{
    public bool Allows(string verb, string kind) => Verbs.Contains(verb) && Kinds.Contains(kind);
}
