using System.DirectoryServices.Protocols;
using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Features.Auth.Ldap;

/// <summary>
/// What System.DirectoryServices.Protocols does not set on Linux before it talks to a server: libldap's connect and
/// per-call timeouts (without them a bind waits forever for a server that accepts and never answers), and the
/// server's URI (it sets that only when binding, so StartTLS before the bind would go to libldap's default host).
/// A new libldap handle copies the library's defaults: they are set (<see cref="LibLdap"/>), and the connection
/// created, under one lock.
/// </summary>
internal static class LibLdapDefaults
{
    private static readonly Lock Gate = new();

    /// <summary>A connection to <paramref name="uri"/> whose handle was created while libldap's defaults held it and <paramref name="timeout"/>.</summary>
    public static LdapConnection Create(string uri, LdapDirectoryIdentifier identifier, TimeSpan timeout)
    {
        lock (Gate)
        {
            // Let System.DirectoryServices.Protocols load and initialise libldap first, then use the very library it loaded.
            var result = LibLdap.SetDefaults(uri, timeout, () => { using (new LdapConnection(new LdapDirectoryIdentifier("127.0.0.1"))) { } }, out var refused);
            if (result != LibLdap.Success) throw new LdapException(result, $"libldap refused {refused}");
            return new LdapConnection(identifier) { Timeout = timeout };
        }
    }
}
