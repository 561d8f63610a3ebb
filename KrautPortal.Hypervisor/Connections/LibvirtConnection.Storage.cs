using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Hypervisor;

// Storage pools: where a host keeps Kraut's volumes (disks, seeds, base images), reached over the connection.
public sealed partial class LibvirtConnection
{
    private const int VirErrNoStoragePool = 49;

    /// <summary>The pool of that name, or null when libvirt has none (VIR_ERR_NO_STORAGE_POOL).</summary>
    public LibvirtStoragePool? FindStoragePool(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var handle = LibvirtNative.virStoragePoolLookupByName(_handle, name);
        if (handle.IsInvalid)
        {
            var error = LibvirtError.Capture("virStoragePoolLookupByName");
            handle.Dispose();
            return error.Code == VirErrNoStoragePool ? null : throw error;
        }

        return new LibvirtStoragePool(handle);
    }

    /// <summary>Defines a persistent pool (inactive until built and started).</summary>
    public LibvirtStoragePool DefineStoragePool(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        return new LibvirtStoragePool(LibvirtError.Check(LibvirtNative.virStoragePoolDefineXML(_handle, xml, 0), "virStoragePoolDefineXML"));
    }

    /// <summary>Creates and starts a transient pool (gone when libvirtd restarts).</summary>
    public LibvirtStoragePool CreateStoragePool(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        return new LibvirtStoragePool(LibvirtError.Check(LibvirtNative.virStoragePoolCreateXML(_handle, xml, 0), "virStoragePoolCreateXML"));
    }

    /// <summary>
    /// The persistent directory pool <paramref name="name"/> at <paramref name="path"/>, defined, its directory made,
    /// started and set to autostart as needed: idempotent, so every pass may call it.
    /// </summary>
    public LibvirtStoragePool EnsureDirectoryPool(string name, string path)
    {
        var pool = FindStoragePool(name) ?? DefineStoragePool(StorageXml.DirectoryPool(name, path));
        try
        {
            if (!pool.IsActive)
            {
                pool.Build();
                pool.Start();
                pool.SetAutostart(true);
            }
            return pool;
        }
        catch
        {
            pool.Dispose();
            throw;
        }
    }
}
