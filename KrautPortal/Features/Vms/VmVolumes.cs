using System.Collections.Concurrent;
using System.Globalization;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Images;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Vms;

/// <summary>
/// What a VM needs on a host that is not this machine, as volumes of that host's Kraut pool, made and filled only
/// through the libvirt connection: the base image (uploaded once per host and image, then shared), the VM's qcow2
/// overlay on it (libvirt creates it with the backing store given, format forced), the cloud-init seed (written here,
/// uploaded) and the console log virtlogd writes there. Nothing here reads or names a file of this machine on the host.
/// </summary>
/// <remarks>
/// Volume names begin with the VM's id (<c>&lt;id&gt;.disk.qcow2</c>, <c>&lt;id&gt;.seed-&lt;hash&gt;.iso</c>,
/// <c>&lt;id&gt;.console.log</c>), so a VM's volumes are found, deleted and recognised as orphans by that prefix in the
/// instance's own <see cref="HostPool"/>. An upload is complete only once its marker volume exists
/// (<see cref="LibvirtStoragePool.UploadOnce"/>): a crash mid-upload leaves a volume without one, sent again next pass.
/// </remarks>
public sealed class VmVolumes(HostPool hostPool, ILogger<VmVolumes> logger)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _imageLocks = new();

    /// <summary>Whether a VM on <paramref name="host"/> gets volumes; this machine's host uses the data directory's files directly.</summary>
    public static bool AreUsedOn(KrautHost host) => HostPool.IsUsedOn(host);

    public string PoolName => hostPool.Name;

    public static string DiskVolume(Guid vmId) => $"{vmId:D}.disk.qcow2";

    public static string ConsoleVolume(Guid vmId) => $"{vmId:D}.console.log";

    public static string SeedVolume(Guid vmId, string hash) => $"{vmId:D}.seed-{hash[..16]}.iso";

    /// <summary>The base image's volume: by image id, format and content size, so a changed content is a new volume.</summary>
    public static string ImageVolume(Guid imageId, ImageFormat format, long bytes) =>
        $"image-{imageId:D}-{bytes.ToString(CultureInfo.InvariantCulture)}.{format.ToString().ToLowerInvariant()}";

    /// <summary>The host's Kraut pool, defined and started when missing.</summary>
    public LibvirtStoragePool Pool(KrautHost host) => hostPool.Open(host);

    /// <summary>Where a volume of this pool lives on its host (a directory pool's volume is the file of its name there).</summary>
    public string PathOn(KrautHost host, string volume)
    {
        using var pool = Pool(host);
        return pool.Path.TrimEnd('/') + "/" + volume;
    }

    /// <summary>
    /// The VM's disk on its host: a qcow2 overlay on the uploaded base image (grown to the requested size when that is
    /// larger), or a blank qcow2 for an installer ISO, whose ISO is uploaded as well for the CD-ROM.
    /// </summary>
    public async Task EnsureDiskAsync(KrautHost host, VmPlan plan, CancellationToken ct)
    {
        var image = plan.RequireImage();
        if (image.Phase != ImagePhase.Ready || image.Format is not { } format)
            throw new VmBuildException($"Image '{image.Name}' is not ready (it is {image.Phase}).");
        var content = image.ContentPath!;
        if (!File.Exists(content)) throw new VmBuildException($"The content of image '{image.Name}' is missing from this portal's image store.");
        var baseVolume = await EnsureImageAsync(host, image.Id, format, content, ct);

        using var pool = Pool(host);
        using (var existing = pool.FindVolume(DiskVolume(plan.Id)))
        {
            if (existing is not null) return;
        }
        var requested = (long)plan.Spec.DiskGiB << 30;
        string xml;
        if (format == ImageFormat.Iso)
        {
            xml = StorageXml.Volume(DiskVolume(plan.Id), requested > 0 ? requested : (long)VmRules.DefaultInstallDiskGiB << 30, "qcow2");
        }
        else
        {
            var imageSize = image.VirtualSizeBytes ?? (await QemuImg.InfoAsync(content, format.ToString().ToLowerInvariant(), ct)).VirtualSizeBytes;
            xml = StorageXml.Volume(DiskVolume(plan.Id), Math.Max(requested, imageSize), "qcow2",
                new VolumeBacking(baseVolume, format.ToString().ToLowerInvariant()));
        }
        // libvirt runs qemu-img on the host and removes a half-made file itself when that fails.
        await Task.Run(() => pool.CreateVolume(xml).Dispose(), ct);
    }

    /// <summary>The installer ISO's path on the host (uploaded by <see cref="EnsureDiskAsync"/>).</summary>
    public string ImagePathOn(KrautHost host, PlannedImage image) =>
        PathOn(host, ImageVolume(image.Id, image.Format!.Value, new FileInfo(image.ContentPath!).Length));

    /// <summary>Uploads an image's content once per host; returns its path there.</summary>
    public async Task<string> EnsureImageAsync(KrautHost host, Guid imageId, ImageFormat format, string content, CancellationToken ct)
    {
        var length = new FileInfo(content).Length;
        var name = ImageVolume(imageId, format, length);
        var gate = _imageLocks.GetOrAdd($"{host.Uri}|{name}", _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            using var pool = Pool(host);
            return await Task.Run(() => pool.UploadOnce(name, content, ct), ct);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// The seed on the host, named by its content's hash; uploaded when that content is not there yet, then older seeds
    /// of the VM are removed. Returns its path there and whether it was uploaded now (the guest's medium must change).
    /// </summary>
    public async Task<(string Path, bool Uploaded)> EnsureSeedAsync(KrautHost host, Guid vmId, string localIso, string hash, CancellationToken ct)
    {
        using var pool = Pool(host);
        var name = SeedVolume(vmId, hash);
        var uploaded = await Task.Run(() =>
        {
            if (pool.HasComplete(name)) return false;
            pool.UploadOnce(name, localIso, ct);
            return true;
        }, ct);
        if (uploaded)
        {
            var prefix = $"{vmId:D}.seed-";
            foreach (var volume in pool.ListVolumes())
            {
                using (volume)
                {
                    if (volume.Name.StartsWith(prefix, StringComparison.Ordinal) && !volume.Name.StartsWith(name, StringComparison.Ordinal)) volume.Delete();
                }
            }
        }
        return (pool.Path.TrimEnd('/') + "/" + name, uploaded);
    }

    /// <summary>Deletes every volume of the VM on the host (disk, seeds, console log, their markers).</summary>
    public void Delete(KrautHost host, Guid vmId)
    {
        using var pool = hostPool.FindRunning(host);
        if (pool is null) return;
        // virtlogd's log appears as a volume only after a rescan.
        pool.Refresh();
        var prefix = $"{vmId:D}.";
        foreach (var volume in pool.ListVolumes())
        {
            using (volume)
            {
                if (volume.Name.StartsWith(prefix, StringComparison.Ordinal)) TryDelete(volume);
            }
        }
    }

    /// <summary>Ids of VMs that have volumes in the host's pool (whether or not the VM still exists).</summary>
    public IReadOnlyCollection<Guid> OwnerIds(KrautHost host)
    {
        using var pool = hostPool.FindRunning(host);
        if (pool is null) return [];
        pool.Refresh();
        var ids = new HashSet<Guid>();
        foreach (var volume in pool.ListVolumes())
        {
            using (volume)
            {
                if (Guid.TryParse(volume.Name.Split('.')[0], out var id)) ids.Add(id);
            }
        }
        return ids;
    }

    /// <summary>The last <paramref name="maxBytes"/> of the VM's console log on the host, by stream; empty when there is none yet.</summary>
    public byte[] ConsoleTail(KrautHost host, Guid vmId, int maxBytes)
    {
        using var pool = hostPool.FindRunning(host);
        if (pool is null) return [];
        pool.Refresh();
        using var volume = pool.FindVolume(ConsoleVolume(vmId));
        if (volume is null) return [];
        var size = volume.GetInfo().CapacityBytes;
        var offset = Math.Max(0, size - maxBytes);
        using var buffer = new MemoryStream();
        volume.Download(buffer, offset, size - offset);
        return buffer.ToArray();
    }

    private void TryDelete(LibvirtStorageVolume volume)
    {
        try
        {
            volume.Delete();
        }
        catch (LibvirtException e)
        {
            logger.LogWarning("Could not delete volume {Volume}: {Message}", volume.Name, e.Message);
        }
    }
}
