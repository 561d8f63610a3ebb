using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

// Live migration (libvirt-domain.h) and the typed-parameter list helpers it is called with (libvirt-common.h).
internal static partial class LibvirtNative
{
    /// <summary>Migrates <paramref name="domain"/> to <paramref name="dconn"/>; blocks until the migration ended.</summary>
    /// <returns>The domain on the destination (a new reference the caller frees), or NULL on failure.</returns>
    [LibraryImport(Lib)]
    internal static partial DomainHandle virDomainMigrate3(DomainHandle domain, ConnectHandle dconn, IntPtr parameters, uint nparams, uint flags);

    /// <summary>Appends a string parameter, growing the list libvirt allocated (<see cref="virTypedParamsFree"/>).</summary>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virTypedParamsAddString(ref IntPtr parameters, ref int nparams, ref int maxparams, string name, string value);

    /// <summary>Appends one parameter per value under the same name (a NULL-terminated array of C strings).</summary>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virTypedParamsAddStringList(ref IntPtr parameters, ref int nparams, ref int maxparams, string name, IntPtr[] values);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virTypedParamsAddULLong(ref IntPtr parameters, ref int nparams, ref int maxparams, string name, ulong value);

    /// <summary>Frees the list and the strings in it.</summary>
    [LibraryImport(Lib)]
    internal static partial void virTypedParamsFree(IntPtr parameters, int nparams);

    /// <summary>Statistics of the domain's current job (or, with VIR_DOMAIN_JOB_STATS_COMPLETED, its last completed one).</summary>
    /// <param name="parameters">A list the caller frees with <see cref="virTypedParamsFree"/>.</param>
    [LibraryImport(Lib)]
    internal static partial int virDomainGetJobStats(DomainHandle domain, out int type, out IntPtr parameters, out int nparams, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainAbortJob(DomainHandle domain);
}

/// <summary>virDomainMigrateFlags used by Kraut.</summary>
[Flags]
internal enum VirMigrateFlags : uint
{
    Live = 1 << 0,
    PersistDest = 1 << 3,
    UndefineSource = 1 << 4,
    NonSharedInc = 1 << 7,
    AutoConverge = 1 << 13,
}
