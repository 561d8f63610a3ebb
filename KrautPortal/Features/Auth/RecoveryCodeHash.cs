using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace KrautPortal.Features.Auth;

/// <summary>
/// How recovery codes are stored: PBKDF2-SHA256 with a salt of each code's own, written
/// <c>pbkdf2-sha256$iterations$salt$hash</c>, so a copy of the database does not give the codes away. Codes enrolled
/// before this were stored as plain SHA-256 (64 hex digits); they still work until used, and a new set replaces them.
/// </summary>
public static class RecoveryCodeHash
{
    private const string Scheme = "pbkdf2-sha256";
    private const int Iterations = 20_000;

    public static string Hash(string code)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(code), salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"{Scheme}${Iterations.ToString(CultureInfo.InvariantCulture)}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Matches(string code, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length == 4 && parts[0] == Scheme && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) && iterations is > 0 and <= 10_000_000)
        {
            var salt = Convert.FromBase64String(parts[2]);
            var expected = Convert.FromBase64String(parts[3]);
            var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(code), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
            return CryptographicOperations.FixedTimeEquals(actual, expected);
        }
        // Enrolled before salting: unsalted SHA-256 in hex.
        var legacy = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(code))));
        return CryptographicOperations.FixedTimeEquals(legacy, Encoding.ASCII.GetBytes(stored));
    }
}
