using System.Runtime.InteropServices;
using System.Text;

namespace KrautPortal.Hypervisor.Native;

/// <summary>
/// libldap's library-wide defaults, which System.DirectoryServices.Protocols does not set on Linux: the connect and
/// per-call timeouts and the server's URI. Set in the very copy of libldap that the LDAP client loaded (found through
/// /proc/self/maps), since the defaults live in that copy. The portal's LDAP verifier holds one lock over setting them
/// and creating its connection, as a new handle copies the defaults.
/// </summary>
public static unsafe class LibLdap
{
    public const int Success = 0;
    private const int LdapOptTimeout = 0x5002;          // synchronous calls: bind, StartTLS
    private const int LdapOptNetworkTimeout = 0x5005;   // connect() and the TLS handshake
    private const int LdapOptUri = 0x5006;

    // Where the library System.DirectoryServices.Protocols loaded cannot be seen: the names it tries.
    private static readonly string[] Names = ["libldap-2.5.so.0", "libldap.so.2", "libldap-2.6.so.0", "libldap-2.4.so.2"];

    private static delegate* unmanaged<IntPtr, int, void*, int> s_setOption;

    /// <summary>struct timeval on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }

    /// <summary>
    /// Sets the defaults for connections made next; <see cref="Success"/>, or libldap's result for the option it refused
    /// (named in <paramref name="refused"/>). <paramref name="loadLibrary"/> lets the LDAP client load and initialise
    /// libldap first (that must happen on one thread). Not thread-safe: the caller serialises.
    /// </summary>
    /// <exception cref="DllNotFoundException">No libldap in the process or on the system.</exception>
    public static int SetDefaults(string uri, TimeSpan timeout, Action loadLibrary, out string? refused)
    {
        ArgumentNullException.ThrowIfNull(loadLibrary);
        if (s_setOption == null) s_setOption = Load(loadLibrary);
        var uriBytes = Encoding.UTF8.GetBytes(uri + "\0");
        var value = new TimeVal { Seconds = (long)timeout.TotalSeconds, Microseconds = timeout.Milliseconds * 1000L };
        refused = "LDAP_OPT_NETWORK_TIMEOUT";
        var result = s_setOption(IntPtr.Zero, LdapOptNetworkTimeout, &value);
        if (result != Success) return result;
        refused = "LDAP_OPT_TIMEOUT";
        result = s_setOption(IntPtr.Zero, LdapOptTimeout, &value);
        if (result != Success) return result;
        refused = "LDAP_OPT_URI";
        fixed (byte* text = uriBytes) result = s_setOption(IntPtr.Zero, LdapOptUri, text);
        if (result != Success) return result;
        refused = null;
        return Success;
    }

    private static delegate* unmanaged<IntPtr, int, void*, int> Load(Action loadLibrary)
    {
        loadLibrary();
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
                .Where(path => Path.GetFileName(path).StartsWith("libldap", StringComparison.Ordinal))
                .Distinct()
                .ToList();
        }
        catch (IOException)
        {
            return [];
        }
    }
}
