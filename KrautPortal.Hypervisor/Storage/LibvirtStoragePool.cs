using System.Runtime.InteropServices;
using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Hypervisor;

/// <summary>One storage pool of a libvirt host: a directory of volumes there, reached only through libvirt.</summary>
public sealed class LibvirtStoragePool : IDisposable
{
    private const int VirErrNoStorageVol = 50;
    private readonly StoragePoolHandle _handle;

    internal LibvirtStoragePool(StoragePoolHandle handle) => _handle = handle;

    public bool IsActive => LibvirtError.Check(LibvirtNative.virStoragePoolIsActive(_handle), "virStoragePoolIsActive") == 1;

    /// <summary>The pool's directory on its host.</summary>
    public string Path => StorageXml.PoolPath(LibvirtError.TakeOwnedString(LibvirtNative.virStoragePoolGetXMLDesc(_handle, 0), "virStoragePoolGetXMLDesc"));

    /// <summary>The file system the pool's directory is on, as its host sees it: total and free bytes (a refreshed pool).</summary>
    public (long CapacityBytes, long AvailableBytes) GetInfo()
    {
        LibvirtError.Check(LibvirtNative.virStoragePoolGetInfo(_handle, out var info), "virStoragePoolGetInfo");
        return ((long)info.Capacity, (long)info.Available);
    }

    /// <summary>Makes the pool's directory if missing (mkdir -p on its host).</summary>
    public void Build() => LibvirtError.Check(LibvirtNative.virStoragePoolBuild(_handle, 0), "virStoragePoolBuild");

    public void Start() => LibvirtError.Check(LibvirtNative.virStoragePoolCreate(_handle, 0), "virStoragePoolCreate");

    public void SetAutostart(bool autostart) => LibvirtError.Check(LibvirtNative.virStoragePoolSetAutostart(_handle, autostart ? 1 : 0), "virStoragePoolSetAutostart");

    /// <summary>Rescans the directory: files written there by others (virtlogd's console log) become volumes.</summary>
    public void Refresh() => LibvirtError.Check(LibvirtNative.virStoragePoolRefresh(_handle, 0), "virStoragePoolRefresh");

    public void Destroy() => LibvirtError.Check(LibvirtNative.virStoragePoolDestroy(_handle), "virStoragePoolDestroy");

    public void Undefine() => LibvirtError.Check(LibvirtNative.virStoragePoolUndefine(_handle), "virStoragePoolUndefine");

    /// <summary>The volume of that name, or null when the pool has none (VIR_ERR_NO_STORAGE_VOL).</summary>
    public LibvirtStorageVolume? FindVolume(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var handle = LibvirtNative.virStorageVolLookupByName(_handle, name);
        if (handle.IsInvalid)
        {
            var error = LibvirtError.Capture("virStorageVolLookupByName");
            handle.Dispose();
            return error.Code == VirErrNoStorageVol ? null : throw error;
        }

        return new LibvirtStorageVolume(handle);
    }

    /// <summary>Creates a volume from <see cref="StorageXml.Volume"/>; an overlay's backing file must exist on the pool's host.</summary>
    public LibvirtStorageVolume CreateVolume(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        return new LibvirtStorageVolume(LibvirtError.Check(LibvirtNative.virStorageVolCreateXML(_handle, xml, 0), "virStorageVolCreateXML"));
    }

    /// <summary>The suffix of the empty volume that says an upload of the volume without it finished.</summary>
    public const string CompleteMarkerSuffix = ".done";

    /// <summary>Whether <paramref name="name"/> exists and its upload finished (its marker exists).</summary>
    public bool HasComplete(string name)
    {
        using var volume = FindVolume(name);
        using var done = FindVolume(name + CompleteMarkerSuffix);
        return volume is not null && done is not null;
    }

    /// <summary>
    /// Uploads <paramref name="file"/> (of this machine) as the raw volume <paramref name="name"/> unless a finished
    /// upload of it is there; returns the volume's path on the pool's host. Crash-safe: the empty marker volume is made
    /// last, so a volume without it is a cut-off upload, deleted and sent again. Blocking.
    /// </summary>
    public string UploadOnce(string name, string file, CancellationToken ct = default)
    {
        using (var existing = FindVolume(name))
        {
            if (existing is not null)
            {
                using var done = FindVolume(name + CompleteMarkerSuffix);
                if (done is not null) return existing.Path;
                existing.Delete();
            }
        }
        var length = new FileInfo(file).Length;
        using var volume = CreateVolume(StorageXml.Volume(name, length, "raw"));
        try
        {
            using var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            volume.Upload(source, length, ct);
        }
        catch
        {
            try
            {
                volume.Delete();
            }
            catch (LibvirtException)
            {
                // The next UploadOnce finds it without its marker and deletes it then.
            }
            throw;
        }
        CreateVolume(StorageXml.Volume(name + CompleteMarkerSuffix, 0, "raw")).Dispose();
        return volume.Path;
    }

    public IReadOnlyList<LibvirtStorageVolume> ListVolumes()
    {
        var count = LibvirtError.Check(LibvirtNative.virStoragePoolListAllVolumes(_handle, out var array, 0), "virStoragePoolListAllVolumes");
        var handles = new List<StorageVolHandle>(count);
        try
        {
            for (var i = 0; i < count; i++) handles.Add(new StorageVolHandle(Marshal.ReadIntPtr(array, i * IntPtr.Size)));
        }
        finally
        {
            LibvirtNative.free(array);
        }
        return handles.Select(h => new LibvirtStorageVolume(h)).ToList();
    }

    public void Dispose() => _handle.Dispose();
}
