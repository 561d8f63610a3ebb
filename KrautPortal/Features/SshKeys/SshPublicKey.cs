using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace KrautPortal.Features.SshKeys;

/// <summary>
/// An OpenSSH public key line (<c>type base64 [comment]</c>), checked the way sshd would read it: a known type,
/// and a key blob that decodes and names the same type. Only what goes into authorized_keys is accepted.
/// </summary>
public sealed record SshPublicKey(string Type, string Blob, string? Comment)
{
    public static readonly IReadOnlyList<string> Types =
        ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"];

    public const int MaxLength = 16384;

    /// <summary>The line as it goes into authorized_keys: one line, single spaces.</summary>
    public string Line => Comment is null ? $"{Type} {Blob}" : $"{Type} {Blob} {Comment}";

    /// <summary>As ssh-keygen -l prints it: SHA256:… (unpadded base64 of the blob's SHA-256).</summary>
    public string Fingerprint => "SHA256:" + Convert.ToBase64String(SHA256.HashData(Convert.FromBase64String(Blob))).TrimEnd('=');

    public static bool TryParse(string? text, out SshPublicKey key, out string problem)
    {
        key = new SshPublicKey("", "", null);
        problem = "";
        var line = text?.Trim() ?? "";
        if (line.Length == 0)
        {
            problem = "The key is empty; paste the whole line of your .pub file (e.g. ~/.ssh/id_ed25519.pub).";
            return false;
        }
        if (line.Length > MaxLength || line.Contains('\n', StringComparison.Ordinal) || line.Contains('\r', StringComparison.Ordinal))
        {
            problem = "A public key is a single line; paste one key at a time.";
            return false;
        }
        if (line.StartsWith("-----BEGIN", StringComparison.Ordinal) || line.Contains("PRIVATE KEY", StringComparison.Ordinal))
        {
            problem = "That looks like a private key. Never share it: paste the public key (the .pub file) instead.";
            return false;
        }
        var parts = line.Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
        if (!Types.Contains(parts[0]))
        {
            problem = $"'{Shorten(parts[0])}' is not a supported key type; use {string.Join(", ", Types)} (an OpenSSH .pub line: type, key, optional comment).";
            return false;
        }
        if (parts.Length < 2 || !TryDecode(parts[1], out var blob))
        {
            problem = $"The key data after '{parts[0]}' is not valid base64.";
            return false;
        }
        if (ReadString(blob, 0, out var next) is not { } inner || inner != parts[0])
        {
            problem = $"The key data does not hold a {parts[0]} key; was the line cut or its type changed?";
            return false;
        }
        if (parts[0] == "ssh-rsa" && RsaBits(blob, next) is { } bits && bits < 2048)
        {
            problem = $"This RSA key has {bits} bits; use at least 2048 (or an ed25519 key).";
            return false;
        }
        if (parts[0] == "ssh-ed25519" && blob.Length != 4 + 11 + 4 + 32)
        {
            problem = "The ed25519 key data has the wrong length; was the line cut?";
            return false;
        }
        var comment = parts.Length == 3 ? string.Join(' ', parts[2].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)) : null;
        key = new SshPublicKey(parts[0], parts[1], string.IsNullOrEmpty(comment) ? null : comment);
        return true;
    }

    private static bool TryDecode(string base64, out byte[] blob)
    {
        blob = [];
        try
        {
            blob = Convert.FromBase64String(base64);
            return blob.Length > 8;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string? ReadString(byte[] blob, int offset, out int next)
    {
        next = offset;
        if (blob.Length < offset + 4) return null;
        var length = BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(offset));
        if (length > (uint)(blob.Length - offset - 4)) return null;
        next = offset + 4 + (int)length;
        return Encoding.ASCII.GetString(blob, offset + 4, (int)length);
    }

    /// <summary>An ssh-rsa blob is type, e, n (mpints); the modulus size is n's length without its sign byte.</summary>
    private static int? RsaBits(byte[] blob, int offset)
    {
        if (ReadString(blob, offset, out var afterE) is null || blob.Length < afterE + 4) return null;
        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(afterE));
        var start = afterE + 4;
        if (length <= 0 || start + length > blob.Length) return null;
        while (length > 0 && blob[start] == 0) { start++; length--; }
        if (length == 0) return 0;
        return (length - 1) * 8 + (32 - int.LeadingZeroCount(blob[start]));
    }

    private static string Shorten(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
