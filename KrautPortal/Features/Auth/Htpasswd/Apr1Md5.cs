using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace KrautPortal.Features.Auth.Htpasswd;

/// <summary>
/// Apache's APR1-MD5 (<c>htpasswd -m</c>, its default): Poul-Henning Kamp's md5crypt with the magic <c>$apr1$</c>.
/// Kraut only verifies such hashes; it never makes new ones.
/// </summary>
internal static class Apr1Md5
{
    public const string Magic = "$apr1$";
    private const int MaxSalt = 8;
    private const string Itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>The salt of a stored <c>$apr1$salt$hash</c>: at most 8 characters, up to the next <c>$</c>.</summary>
    public static string Salt(string stored)
    {
        var rest = stored.AsSpan(Magic.Length);
        var end = rest.IndexOf('$');
        if (end < 0) end = rest.Length;
        return rest[..Math.Min(end, MaxSalt)].ToString();
    }

    /// <summary>The whole <c>$apr1$salt$hash</c> string for a password and salt, as <c>htpasswd -m</c> writes it.</summary>
    [SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms",
        Justification = "APR1 is MD5 by definition; existing htpasswd files are verified, never written.")]
    public static string Hash(ReadOnlySpan<byte> password, string salt)
    {
        var saltBytes = Encoding.ASCII.GetBytes(salt);
        var magic = Encoding.ASCII.GetBytes(Magic);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);

        // The "alternate" digest: password, salt, password.
        md5.AppendData(password);
        md5.AppendData(saltBytes);
        md5.AppendData(password);
        Span<byte> final = stackalloc byte[16];
        md5.GetHashAndReset(final);

        md5.AppendData(password);
        md5.AppendData(magic);
        md5.AppendData(saltBytes);
        for (var left = password.Length; left > 0; left -= 16) md5.AppendData(final[..Math.Min(left, 16)]);
        // A quirk kept from the original: a zero byte for a set bit, the password's first byte for a clear one.
        ReadOnlySpan<byte> zero = [0];
        for (var bits = password.Length; bits != 0; bits >>= 1)
            md5.AppendData((bits & 1) != 0 ? zero : password[..1]);
        md5.GetHashAndReset(final);

        // 1000 rounds, to slow down guessing (as it was in 1994).
        for (var i = 0; i < 1000; i++)
        {
            if ((i & 1) != 0) md5.AppendData(password); else md5.AppendData(final);
            if (i % 3 != 0) md5.AppendData(saltBytes);
            if (i % 7 != 0) md5.AppendData(password);
            if ((i & 1) != 0) md5.AppendData(final); else md5.AppendData(password);
            md5.GetHashAndReset(final);
        }

        var text = new StringBuilder(Magic.Length + salt.Length + 1 + 22);
        text.Append(Magic).Append(salt).Append('$');
        To64(text, (final[0] << 16) | (final[6] << 8) | final[12], 4);
        To64(text, (final[1] << 16) | (final[7] << 8) | final[13], 4);
        To64(text, (final[2] << 16) | (final[8] << 8) | final[14], 4);
        To64(text, (final[3] << 16) | (final[9] << 8) | final[15], 4);
        To64(text, (final[4] << 16) | (final[10] << 8) | final[5], 4);
        To64(text, final[11], 2);
        return text.ToString();
    }

    private static void To64(StringBuilder text, int value, int count)
    {
        for (var i = 0; i < count; i++, value >>= 6) text.Append(Itoa64[value & 0x3f]);
    }
}
