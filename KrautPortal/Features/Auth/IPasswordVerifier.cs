namespace KrautPortal.Features.Auth;

/// <summary>A place user names and passwords are checked (an htpasswd file, an LDAP directory).</summary>
public interface IPasswordVerifier
{
    /// <summary>The authenticator name in <c>Auth:Chain</c>: "htpasswd", "ldap".</summary>
    string Name { get; }

    Task<PasswordCheck> VerifyAsync(string user, string password, CancellationToken ct);
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
}
