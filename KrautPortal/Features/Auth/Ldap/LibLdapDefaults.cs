using System.DirectoryServices.Protocols;
using System.Runtime.InteropServices;
using System.Text;

namespace KrautPortal.Features.Auth.Ldap;

/// <summary>
/// What System.DirectoryServices.Protocols does not set on Linux before it talks to a server: libldap's connect and
/// per-call timeouts (without them a bind waits forever for a server that accepts and never answers), and the
/// server's URI (it sets that only when binding, so StartTLS before the bind would go to libldap's default host).
/// A new libldap handle copies the library's defaults: they are set, and the connection created, under one lock.
/// </summary>
internal static unsafe class LibLdapDefaults
{
    private const int LdapOptSuccess = 0;
    private const int LdapOptTimeout = 0x5002;          // synchronous calls: bind, StartTLS
    private const int LdapOptNetworkTimeout = 0x5005;   // connect() and the TLS handshake
    private const int LdapOptUri = 0x5006;

    // Where the library System.DirectoryServices.Protocols loaded cannot be seen: the names it tries.
    private static readonly string[] Names = ["libldap-2.5.so.0", "libldap.so.2", "libldap-2.6.so.0", "libldap-2.4.so.2"];

    private static readonly Lock Gate = new();
    private static delegate* unmanaged<IntPtr, int, void*, int> s_setOption;

    /// <summary>struct timeval on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }

    /// <summary>A connection to <paramref name="uri"/> whose handle was created while libldap's defaults held it and <paramref name="timeout"/>.</summary>
    public static LdapConnection Create(string uri, LdapDirectoryIdentifier identifier, TimeSpan timeout)
    {
        var uriBytes = Encoding.UTF8.GetBytes(uri + "\0");
        lock (Gate)
        {
            if (s_setOption == null) s_setOption = Load();
            var value = new TimeVal { Seconds = (long)timeout.TotalSeconds, Microseconds = timeout.Milliseconds * 1000L };
            Check(s_setOption(IntPtr.Zero, LdapOptNetworkTimeout, &value), "LDAP_OPT_NETWORK_TIMEOUT");
            Check(s_setOption(IntPtr.Zero, LdapOptTimeout, &value), "LDAP_OPT_TIMEOUT");
            fixed (byte* text = uriBytes) Check(s_setOption(IntPtr.Zero, LdapOptUri, text), "LDAP_OPT_URI");
            return new LdapConnection(identifier) { Timeout = timeout };
        }
    }

    private static delegate* unmanaged<IntPtr, int, void*, int> Load()
    {
        // Let System.DirectoryServices.Protocols load and initialise libldap first (that must happen on one thread),
        // then use the very library it loaded: the defaults live in that copy.
        using (new LdapConnection(new LdapDirectoryIdentifier("127.0.0.1"))) { }
        foreach (var name in LoadedLibldap().Concat(Names))
        {
            if (NativeLibrary.TryLoad(name, out var library) && NativeLibrary.TryGetExport(library, "ldap_set_option", out var export))
                return (delegate* unmanaged<IntPtr, int, void*, int>)export;
        }
        throw new DllNotFoundException($"libldap not found (tried {string.Join(", ", Names)}): install Debian's libldap-2.5-0.");
    }

    /// <summary>The path of the libldap mapped into this process, from /proc/self/maps.</summary>
    private static List<string> LoadedLibldap()
    {
        try
        {
            return File.ReadLines("/proc/self/maps")
                .Select(line => line[(line.IndexOf('/', StringComparison.Ordinal) is var i and >= 0 ? i : line.Length)..])
                .Where(path => System.IO.Path.GetFileName(path).StartsWith("libldap", StringComparison.Ordinal))
                .Distinct()
                .ToList();
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static void Check(int result, string option)
    {
        if (result != LdapOptSuccess) throw new LdapException(result, $"libldap refused {option}");
    }
}
