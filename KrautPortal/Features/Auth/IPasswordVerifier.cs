namespace KrautPortal.Features.Auth;

/// <summary>A place user names and passwords are checked (an htpasswd file, an LDAP directory).</summary>
public interface IPasswordVerifier
{
    /// <summary>The authenticator name in <c>Auth:Chain</c>: "htpasswd", "ldap".</summary>
    string Name { get; }

    Task<PasswordCheck> VerifyAsync(string user, string password, CancellationToken ct);

    /// <summary>Whether the user still exists here and their groups, for sessions and tokens that outlive the password check.</summary>
    Task<UserLookup> LookupAsync(string user, CancellationToken ct) =>
        Task.FromResult<UserLookup>(new UserLookup.CannotTell($"{Name} cannot look users up without their password."));
}

public abstract record PasswordCheck
{
    private PasswordCheck() { }

    /// <summary>Right password; <paramref name="Groups"/> are the user's groups there.</summary>
    public sealed record Valid(IReadOnlyList<string> Groups) : PasswordCheck;

    public sealed record WrongPassword : PasswordCheck
    {
        public static readonly WrongPassword Instance = new();
    }

    /// <summary>This verifier does not know the user: the next one in the chain may.</summary>
    public sealed record UnknownUser : PasswordCheck
    {
        public static readonly UnknownUser Instance = new();
    }

    /// <summary>The verifier cannot answer (file unreadable, LDAP down); said plainly, never treated as a yes.</summary>
    public sealed record Unavailable(string Reason) : PasswordCheck;

    /// <summary>
    /// The user's stored entry cannot be used (plain text, damaged). The caller is told only "wrong user name or
    /// password"; <paramref name="Detail"/> (where the entry is) goes to the log and the audit for administrators.
    /// </summary>
    public sealed record UnusableEntry(string Detail) : PasswordCheck;
}

/// <summary>What a user source says about a user without their password: still there (with their groups), or not.</summary>
public abstract record UserLookup
{
    private UserLookup() { }

    /// <param name="Stamp">Changes when the user's password changes (null when the source cannot tell): sessions from before end.</param>
    public sealed record Found(IReadOnlyList<string> Groups, string? Stamp = null) : UserLookup;

    /// <summary>This source has no such user (any more).</summary>
    public sealed record Absent : UserLookup
    {
        public static readonly Absent Instance = new();
    }

    /// <summary>The source cannot say (it cannot look users up, or it is unavailable); never read as a yes for long.</summary>
    public sealed record CannotTell(string Reason) : UserLookup;
}

/// <summary>An authenticator that can say whether a user still exists and what their groups are, without their password.</summary>
public interface IUserSource
{
    string Name { get; }

    Task<UserLookup> LookupAsync(string user, CancellationToken ct);
}
