using KrautPortal.Features.Images;
using KrautPortal.Features.Images.Upload;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.VmImages;

/// <summary>
/// The first step of an image made from a VM: its disk, flattened through the backing chain (or as one of its internal
/// snapshots holds it), becomes the image's incoming content, exactly where an upload leaves its own; from there the
/// image pipeline checks and converts it like any other. Every step can run again: after a crash an image still Copying
/// is copied anew from the VM (its half copy thrown away), or handed on if its content was already in place.
/// </summary>
public sealed class VmImageCopier(
    IServiceScopeFactory scopes,
    IncomingFiles files,
    IImagePipeline pipeline,
    VmDiskSource disks,
    IOptions<ImagesOptions> options,
    TimeProvider time,
    ILogger<VmImageCopier> logger) : ReconcileLoop(logger, workers: 1)
{
    public override string? WatchedKind => Kinds.Images.Name;

    /// <summary>The replica that runs the image pipeline makes the content it takes.</summary>
    protected override Task<string?> OwnerKeyAsync(Guid id, CancellationToken ct) => Task.FromResult<string?>(OwnerKeys.Images);

    protected override async Task StartupAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var statuses = await scope.ServiceProvider.GetRequiredService<KindReader>().StatusesAsync<ImageStatus>(Kinds.Images, ct);
        foreach (var (id, _) in statuses.Where(s => s.Value.Phase == ImagePhase.Copying))
        {
            logger.LogInformation("Image {Id} was being copied from a VM when Kraut stopped; copying it again", id);
            Enqueue(id);
        }
    }

    protected override Task PollAsync(CancellationToken ct) => StartupAsync(ct);

    protected override async Task<TimeSpan?> ReconcileAsync(Guid id, bool ensure, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var statuses = scope.ServiceProvider.GetRequiredService<ImageContentStatus>();
        if (await statuses.FindAsync(id, ct) is not { Status: { Phase: ImagePhase.Copying, FromVm: { } source } })
            return null;
        if (File.Exists(files.ArrivedPath(id)))
        {
            await HandOverAsync(id, statuses); // the copy was complete when Kraut stopped
            return null;
        }

        var vm = await scope.ServiceProvider.GetRequiredService<KindReader>().FindAsync<VmSpec, VmStatus>(Kinds.Vms, source.VmId, ct);
        var why = vm is null ? $"VM '{source.VmName}' was deleted before its disk was copied." : disks.WhyNot(vm, source.SnapshotId is not null);
        if (why is null && source.SnapshotId is { } snapshot && !await disks.HasSnapshotAsync(source.VmId, snapshot, ct))
            why = $"Snapshot {snapshot} of VM '{source.VmName}' was deleted before it was copied.";
        if (why is not null)
        {
            await FailAsync(id, statuses, $"The image could not be made: {why} Delete it and make it again.");
            return null;
        }

        files.Discard(id);
        try
        {
            if (!await CopyAsync(id, source, statuses, ct))
            {
                files.Discard(id); // the image was deleted meanwhile
                return null;
            }
        }
        catch (QemuImgException e) when (e.StandardError.Contains("No space left on device", StringComparison.Ordinal))
        {
            // The host's problem, not the VM's: try again later (the loop backs off).
            files.Discard(id);
            await statuses.WriteAsync(id, s => s with { Message = "The image store is out of space; copying again once there is room." }, ct);
            throw;
        }
        catch (QemuImgException e)
        {
            files.Discard(id);
            await FailAsync(id, statuses, Reason(e, source));
            return null;
        }

        // Our own output, read back as what it must be: a disk standing alone.
        var info = await QemuImg.InfoAsync(files.PartPath(id), "qcow2", ct);
        if (info.HasBacking || info.HasDataFile)
        {
            files.Discard(id);
            await FailAsync(id, statuses, "Copying the VM's disk produced a disk that still depends on another file; this is a bug in Kraut.");
            return null;
        }
        files.Promote(id);
        await HandOverAsync(id, statuses);
        return null;
    }

    /// <summary>Runs the copy, storing its whole percent as it goes. False when the image was deleted meanwhile.</summary>
    private async Task<bool> CopyAsync(Guid id, ImageVmSource source, ImageContentStatus statuses, CancellationToken ct)
    {
        var progress = new LatestProgress();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var started = time.GetTimestamp();
        // A snapshot is read without the disk's lock (the VM may run); the disk of a stopped VM with it, so that a VM
        // started meanwhile fails to take its disk, or the copy fails, rather than copying a disk that changes.
        var copy = QemuImg.FlattenAsync(disks.DiskOf(source.VmId), source.SnapshotId is { } s ? VmDiskSource.SnapshotName(s) : null,
            shared: source.SnapshotId is not null, files.PartPath(id), "qcow2", new ToolLimits(null, null, options.Value.ConvertMemoryBytes), progress, stop.Token);
        var interval = TimeSpan.FromMilliseconds(Math.Max(options.Value.ProgressWriteMilliseconds, 250));
        var deleted = false;
        while (!copy.IsCompleted)
        {
            await Task.WhenAny(copy, Task.Delay(interval, ct));
            var percent = Math.Floor(progress.Value);
            // Also how a deletion is noticed: the write finds no image.
            if (!await statuses.WriteAsync(id, st => st with { Progress = percent }, ct))
            {
                deleted = true;
                await stop.CancelAsync();
                break;
            }
        }
        try
        {
            await copy;
        }
        catch (OperationCanceledException) when (deleted && !ct.IsCancellationRequested)
        {
            return false;
        }
        logger.LogInformation("Image {Id}: the disk of VM {Vm} copied in {Seconds:0.00} s", id, source.VmId, time.GetElapsedTime(started).TotalSeconds);
        return true;
    }

    /// <summary>The content is in place: the pipeline's turn, as after an upload.</summary>
    private async Task HandOverAsync(Guid id, ImageContentStatus statuses)
    {
        var length = new FileInfo(files.ArrivedPath(id)).Length;
        if (!await statuses.WriteAsync(id, s => s with
            {
                Phase = ImagePhase.Checking,
                PhaseStartedAt = statuses.Now,
                BytesReceived = length,
                BytesExpected = length,
                Progress = null,
                Message = null,
            }, CancellationToken.None))
        {
            files.DiscardArrived(id);
            return;
        }
        pipeline.Enqueue(id);
    }

    private async Task FailAsync(Guid id, ImageContentStatus statuses, string reason)
    {
        logger.LogInformation("Image {Id} from a VM failed: {Reason}", id, reason);
        await statuses.WriteAsync(id, s => statuses.Failed(s, reason), CancellationToken.None);
    }

    private static string Reason(QemuImgException e, ImageVmSource source) =>
        e.StandardError.Contains("lock", StringComparison.OrdinalIgnoreCase)
            ? $"VM '{source.VmName}' was started while its disk was being copied, so the copy was stopped. Stop the VM, delete this image and make it again."
            : $"Copying the disk of VM '{source.VmName}' failed: {e.StandardError.Trim()}";

    /// <summary>The last percentage qemu-img printed.</summary>
    private sealed class LatestProgress : IProgress<double>
    {
        private double _value;

        public double Value => Volatile.Read(ref _value);

        public void Report(double value) => Volatile.Write(ref _value, value);
    }
}
