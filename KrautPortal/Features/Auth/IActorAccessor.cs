namespace KrautPortal.Features.Auth;

/// <summary>
/// The single place a request's principal comes from, for the API and the portal alike.
/// Authentication (its own issue) replaces <see cref="LocalAdminActorAccessor"/> here and nowhere else.
/// </summary>
public interface IActorAccessor
{
    Actor Current { get; }
}

/// <summary>Until authentication lands every caller is the local administrator; said so in the README.</summary>
public sealed class LocalAdminActorAccessor : IActorAccessor
{
    public Actor Current { get; } = new("admin", IsAdmin: true, []);
}
