using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

/// <summary>
/// The system's libxcrypt (Debian's libcrypt1), for the hashes it computes exactly as <c>htpasswd</c> did:
/// bcrypt, SHA-256/512-crypt and traditional DES. Uses the reentrant <c>crypt_rn</c> with a buffer per call.
/// Used by the portal's htpasswd verifier and initial administrator; native calls live in this folder only.
/// </summary>
public static unsafe partial class LibCrypt
{
    /// <summary><c>sizeof(struct crypt_data)</c> in libxcrypt.</summary>
    private const int CryptDataSize = 32768;

    /// <summary>libxcrypt refuses longer passphrases (CRYPT_MAX_PASSPHRASE_SIZE).</summary>
    public const int MaxPasswordBytes = 512;

    // char *crypt_rn(const char *phrase, const char *setting, void *data, int size): NULL on failure.
    [LibraryImport("libcrypt.so.1")]
    private static partial byte* crypt_rn(byte* phrase, byte* setting, void* data, int size);

    // char *crypt_gensalt_rn(const char *prefix, unsigned long count, const char *rbytes, int nrbytes, char *output, int output_size)
    [LibraryImport("libcrypt.so.1")]
    private static partial byte* crypt_gensalt_rn(byte* prefix, nuint count, byte* rbytes, int nrbytes, byte* output, int outputSize);

    /// <summary>A fresh setting (method, cost, random salt from the kernel) for <paramref name="prefix"/>, e.g. "$2y$".</summary>
    public static byte[] NewSetting(string prefix, uint cost)
    {
        var prefixBytes = System.Text.Encoding.ASCII.GetBytes(prefix + "\0");
        var output = stackalloc byte[128];
        fixed (byte* p = prefixBytes)
        {
            // rbytes NULL: libxcrypt takes its random salt from the operating system.
            var result = crypt_gensalt_rn(p, cost, null, 0, output, 128);
            if (result == null || *result == (byte)'*') throw new InvalidOperationException($"libxcrypt cannot make a {prefix} salt.");
            return MemoryMarshal.CreateReadOnlySpanFromNullTerminated(result).ToArray();
        }
    }

    /// <summary>
    /// The hash of <paramref name="password"/> with the method and salt that <paramref name="setting"/> (a stored
    /// hash) names; null when libxcrypt refuses the setting.
    /// </summary>
    public static byte[]? Crypt(ReadOnlySpan<byte> password, ReadOnlySpan<byte> setting)
    {
        if (password.Length > MaxPasswordBytes || password.Contains((byte)0) || setting.Contains((byte)0)) return null;

        // One allocation for the NUL-terminated phrase and setting and the crypt_data that crypt_rn works in.
        var phraseSize = password.Length + 1;
        var settingSize = setting.Length + 1;
        var total = (nuint)(CryptDataSize + phraseSize + settingSize);
        var block = (byte*)NativeMemory.AllocZeroed(total);
        try
        {
            var data = block;
            var phrase = block + CryptDataSize;
            var salt = phrase + phraseSize;
            password.CopyTo(new Span<byte>(phrase, password.Length));
            setting.CopyTo(new Span<byte>(salt, setting.Length));

            var result = crypt_rn(phrase, salt, data, CryptDataSize);
            // libxcrypt's failure tokens start with '*'; crypt_rn itself returns NULL, but be strict about both.
            if (result == null || *result == (byte)'*') return null;
            return MemoryMarshal.CreateReadOnlySpanFromNullTerminated(result).ToArray();
        }
        finally
        {
            // The block held the password (and crypt_data a copy of it): wipe before handing it back.
            NativeMemory.Clear(block, total);
            NativeMemory.Free(block);
        }
    }
}
