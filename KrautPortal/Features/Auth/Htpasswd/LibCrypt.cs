using System.Runtime.InteropServices;

namespace KrautPortal.Features.Auth.Htpasswd;

/// <summary>
/// The system's libxcrypt (Debian's libcrypt1), for the hashes it computes exactly as <c>htpasswd</c> did:
/// bcrypt, SHA-256/512-crypt and traditional DES. Uses the reentrant <c>crypt_rn</c> with a buffer per call.
/// </summary>
internal static unsafe partial class LibCrypt
{
    /// <summary><c>sizeof(struct crypt_data)</c> in libxcrypt.</summary>
    private const int CryptDataSize = 32768;

    /// <summary>libxcrypt refuses longer passphrases (CRYPT_MAX_PASSPHRASE_SIZE).</summary>
    public const int MaxPasswordBytes = 512;

    // char *crypt_rn(const char *phrase, const char *setting, void *data, int size): NULL on failure.
    [LibraryImport("libcrypt.so.1")]
    private static partial byte* crypt_rn(byte* phrase, byte* setting, void* data, int size);

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
