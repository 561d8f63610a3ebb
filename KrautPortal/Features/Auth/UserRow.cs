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
