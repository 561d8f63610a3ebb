using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Features.Auth.Htpasswd;

/// <summary>
/// Checks a password against one hash from an htpasswd file, in every format Apache's <c>htpasswd</c> writes:
/// bcrypt (<c>-B</c>), APR1-MD5 (<c>-m</c>, the default), SHA-1 (<c>-s</c>), SHA-256/512-crypt (<c>-2</c>, <c>-5</c>)
/// and DES crypt (<c>-d</c>). Anything else (plain text included) is refused as not understood, never as a match.
/// </summary>
internal static partial class HtpasswdHash
{
    /// <summary>The outcome: the hash was understood and the password fits or not, or the hash is not usable (and why).</summary>
    public enum Outcome { Match, Mismatch, Unusable }

    public static Outcome Verify(string password, string stored, out string? problem)
    {
        problem = null;
        var format = Recognise(stored);
        if (format is null)
        {
            problem = "is not a hash format Kraut understands (bcrypt, APR1-MD5, SHA-1, SHA-256/512-crypt or DES crypt as htpasswd writes them; plain text is refused)";
            return Outcome.Unusable;
        }
        // No htpasswd-written password holds a NUL, and libxcrypt would read only up to one.
        if (password.Contains('\0', StringComparison.Ordinal)) return Outcome.Mismatch;

        var passwordBytes = Encoding.UTF8.GetBytes(password);
        try
        {
            switch (format)
            {
                case Format.Apr1:
                    return Same(Apr1Md5.Hash(passwordBytes, Apr1Md5.Salt(stored)), stored);
                case Format.Sha1:
                    return Sha1Matches(passwordBytes, stored) ? Outcome.Match : Outcome.Mismatch;
                default:
                    if (passwordBytes.Length > LibCrypt.MaxPasswordBytes) return Outcome.Mismatch;
                    var computed = LibCrypt.Crypt(passwordBytes, Encoding.ASCII.GetBytes(stored));
                    if (computed is null)
                    {
                        problem = $"looks like {Describe(format.Value)} but the system's crypt library refuses it (damaged, or a method it lacks)";
                        return Outcome.Unusable;
                    }
                    return CryptographicOperations.FixedTimeEquals(computed, Encoding.ASCII.GetBytes(stored)) ? Outcome.Match : Outcome.Mismatch;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }

    private enum Format { Bcrypt, Apr1, Sha1, ShaCrypt, Md5Crypt, Des }

    private static Format? Recognise(string stored)
    {
        if (BcryptPattern().IsMatch(stored)) return Format.Bcrypt;
        if (Apr1Pattern().IsMatch(stored)) return Format.Apr1;
        if (stored.StartsWith("{SHA}", StringComparison.Ordinal)) return Sha1Digest(stored) is null ? null : Format.Sha1;
        if (ShaCryptPattern().IsMatch(stored)) return Format.ShaCrypt;
        if (Md5CryptPattern().IsMatch(stored)) return Format.Md5Crypt;
        if (DesPattern().IsMatch(stored)) return Format.Des;
        return null;
    }

    private static string Describe(Format format) => format switch
    {
        Format.Bcrypt => "bcrypt",
        Format.ShaCrypt => "SHA-256/512-crypt",
        Format.Md5Crypt => "MD5-crypt",
        _ => "DES crypt",
    };

    private static Outcome Same(string computed, string stored) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(computed), Encoding.ASCII.GetBytes(stored)) ? Outcome.Match : Outcome.Mismatch;

    private static byte[]? Sha1Digest(string stored)
    {
        var digest = new byte[20];
        return Convert.TryFromBase64String(stored[5..], digest, out var written) && written == 20 ? digest : null;
    }

    [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms",
        Justification = "htpasswd -s is unsalted SHA-1 by definition; existing files are verified, never written.")]
    private static bool Sha1Matches(byte[] password, string stored) =>
        CryptographicOperations.FixedTimeEquals(SHA1.HashData(password), Sha1Digest(stored)!);

    // $2y$05$ + 22 characters of salt + 31 of hash; $2a$ and $2b$ are the same method.
    [GeneratedRegex(@"^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}\z")]
    private static partial Regex BcryptPattern();

    [GeneratedRegex(@"^\$apr1\$[^$]{0,8}\$[./0-9A-Za-z]{22}\z")]
    private static partial Regex Apr1Pattern();

    // -2 and -5: SHA-256 (43 characters) and SHA-512 (86) crypt, with an optional rounds=N.
    [GeneratedRegex(@"^\$(5\$(rounds=[0-9]+\$)?[^$]{0,16}\$[./0-9A-Za-z]{43}|6\$(rounds=[0-9]+\$)?[^$]{0,16}\$[./0-9A-Za-z]{86})\z")]
    private static partial Regex ShaCryptPattern();

    // Not written by htpasswd, but Apache accepts it on Unix and older tools (openssl passwd -1) make it.
    [GeneratedRegex(@"^\$1\$[^$]{0,8}\$[./0-9A-Za-z]{22}\z")]
    private static partial Regex Md5CryptPattern();

    [GeneratedRegex(@"^[./0-9A-Za-z]{13}\z")]
    private static partial Regex DesPattern();
}
