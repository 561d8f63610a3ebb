namespace KrautPortal.Features.Auth;

/// <summary>
/// What Kraut keeps about a person whose password lives elsewhere (htpasswd, LDAP): the second factor
/// and their SSH keys. Created at first login.
/// </summary>
public sealed class UserRow
{
    public required string Name { get; set; }

    /// <summary>The TOTP secret, encrypted with ASP.NET Data Protection; null until enrolment starts.</summary>
    public string? OtpSecret { get; set; }

    /// <summary>True once the user proved their authenticator app works; only then is the code required.</summary>
    public bool OtpEnabled { get; set; }

    /// <summary>The last accepted TOTP time step: a code is never accepted twice.</summary>
    public long OtpLastStep { get; set; }

    /// <summary>SHA-256 hashes of unused recovery codes, as a JSON array.</summary>
    public string RecoveryCodes { get; set; } = "[]";

    /// <summary>OpenSSH public keys, as a JSON array of strings.</summary>
    public string SshKeys { get; set; } = "[]";

    public DateTime CreatedAt { get; set; }
    public DateTime? LastLoginAt { get; set; }
}

/// <summary>The hash of a limited-scope token's secret, kept apart from the token record the API serves.</summary>
public sealed class TokenSecretRow
{
    public Guid TokenId { get; set; }
    public required string Sha256 { get; set; }

    /// <summary>The creator's groups when the token was made (JSON array): a token never reaches further than they could.</summary>
    public string CreatorGroups { get; set; } = "[]";

    /// <summary>The person who made the token (its owner may be one of their groups): the user checked again on each use.</summary>
    public string? Creator { get; set; }
}
