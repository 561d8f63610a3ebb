using System.Diagnostics;
using System.Threading.Channels;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Store;
using KrautPortal.Hypervisor;
using KrautPortal.Hypervisor.Native;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Images.Pipeline;

/// <summary>
/// Turns arrived content into a ready image: inspect, then refuse it, keep an ISO as it is, or convert a disk to the
/// storage format; rename the result into place; Ready. Every step can run again: after a crash, an image still
/// Checking or Converting starts over from its .arrived content, and nothing half-done is ever in the image store.
/// </summary>
public sealed class ImagePipeline(
    IServiceScopeFactory scopes,
    ImageStorage storage,
    IOptions<ImagesOptions> options,
    TimeProvider time,
    ILogger<ImagePipeline> logger) : ReconcileLoop(logger, workers: 2), IImagePipeline
{
    private static readonly string Kind = Kinds.Images.Name;
    /// <summary>How often a running conversion looks whether its image was deleted or its progress stands still.</summary>
    private static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(1);

    void IImagePipeline.Enqueue(Guid imageId) => Enqueue(imageId);

    public override string? WatchedKind => Kind;

    protected override Task<string?> OwnerKeyAsync(Guid id, CancellationToken ct) => Task.FromResult<string?>(OwnerKeys.Images);

    /// <summary>Picks up what a crash or restart interrupted.</summary>
    protected override async Task StartupAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var statuses = await scope.ServiceProvider.GetRequiredService<KindReader>().StatusesAsync<ImageStatus>(Kinds.Images, ct);
        foreach (var (id, _) in statuses.Where(i => IsInPipeline(i.Value.Phase)))
        {
            logger.LogInformation("Image {Id} was being checked or converted when Kraut stopped; starting it again", id);
            Enqueue(id);
        }
    }

    /// <summary>Only when asked (<see cref="ReconcileLoop.LookAgain"/>): this replica took over the images from one that died.</summary>
    protected override Task PollAsync(CancellationToken ct) => StartupAsync(ct);

    protected override async Task<TimeSpan?> ReconcileAsync(Guid id, bool ensure, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceStore>();
        var row = await store.FindAsync(Kind, id, Actor.System, ct);
        if (row is null)
        {
            storage.DeleteIfUnreferenced(id);
            return null;
        }

        var status = new StatusWriter<ImageStatus>(store, Kinds.Images, id, Resource<ImageSpec, ImageStatus>.FromRow(row).Status);
        if (!IsInPipeline(status.Current.Phase)) return null;
        var arrived = storage.ArrivedPath(id);
        if (!File.Exists(arrived))
        {
            await FinishWithoutContentAsync(id, status, ct);
            return null;
        }

        try
        {
            // Image storage a quota limits: the content as it arrived stands for what will be stored.
            foreach (var space in scope.ServiceProvider.GetServices<IImageSpace>())
                if (await space.RefusalAsync(row.Owner, id, new FileInfo(arrived).Length, ct) is { } refusal) throw new ImageRefusedException(refusal);
            await ProcessAsync(id, arrived, store, status, ct);
        }
        catch (ImageRefusedException e)
        {
            RemoveContent(id);
            await status.WriteAsync(s => s with { Phase = ImagePhase.Failed, PhaseStartedAt = Now(), Progress = null, Message = e.Message }, ct);
            logger.LogInformation("Image {Id} refused: {Reason}", id, e.Message);
        }
        return null;
    }

    private async Task ProcessAsync(Guid id, string arrived, ResourceStore store, StatusWriter<ImageStatus> status, CancellationToken ct)
    {
        await status.WriteAsync(s => s with
        {
            Phase = ImagePhase.Checking,
            PhaseStartedAt = Now(),
            Progress = null,
            Format = null,
            Message = "Checking the content.",
            Warnings = [],
        }, ct);
        var inspection = await new ImageInspector(options.Value).InspectAsync(arrived, ct);

        if (inspection.Format == SourceFormat.Iso)
        {
            var iso = storage.PathFor(id, ImageFormat.Iso);
            DurableFiles.Publish(arrived, iso);
            await FinishAsync(id, store, status, ImageFormat.Iso, SourceFormat.Iso, inspection.VirtualSizeBytes, new FileInfo(iso).Length,
                BootChecks.Warnings(null, isIso: true, inspection.VirtualSizeBytes), ct);
            return;
        }

        var target = options.Value.StorageFormat;
        var targetFormat = target.ToString().ToLowerInvariant();
        await status.WriteAsync(s => s with
        {
            Phase = ImagePhase.Converting,
            PhaseStartedAt = Now(),
            Progress = 0,
            SourceFormat = inspection.Format,
            VirtualSizeBytes = inspection.VirtualSizeBytes,
            Message = $"Converting {inspection.QemuFormat} to {targetFormat}.",
        }, ct);

        var work = storage.WorkPath(id);
        File.Delete(work);
        var clock = Stopwatch.StartNew();
        if (!await ConvertAsync(arrived, inspection.QemuFormat!, work, targetFormat, status, ct))
        {
            // The image was deleted meanwhile (its content went with it).
            RemoveContent(id);
            return;
        }

        // Our own output, read back as what it must be: the same disk, standing alone.
        var result = await QemuImg.InfoAsync(work, targetFormat, ct);
        if (result.VirtualSizeBytes != inspection.VirtualSizeBytes || result.HasBacking || result.HasDataFile)
            throw new ImageRefusedException($"The conversion produced a {Sizes.Describe(result.VirtualSizeBytes)} disk where the image declares {Sizes.Describe(inspection.VirtualSizeBytes)}.");
        logger.LogInformation("Image {Id}: {Source} converted to {Target} in {Seconds:0.00} s ({Size})", id, inspection.QemuFormat, targetFormat,
            clock.Elapsed.TotalSeconds, Sizes.Describe(inspection.VirtualSizeBytes));
        ImageMeter.ConvertedBytes.Add(new FileInfo(arrived).Length);
        ImageMeter.ConvertDuration.Record(clock.Elapsed.TotalSeconds);

        // Read from our own output, as the guest will see it: a qcow2's first sector is not the guest's.
        var head = await QemuImg.ReadHeadAsync(work, targetFormat, BootChecks.HeadBytes, ct);
        var warnings = BootChecks.Warnings(head, isIso: false, result.VirtualSizeBytes);
        var final = storage.PathFor(id, target);
        DurableFiles.Publish(work, final);
        File.Delete(arrived);
        await FinishAsync(id, store, status, target, inspection.Format, result.VirtualSizeBytes, result.ActualSizeBytes, warnings, ct);
    }

    /// <summary>
    /// Runs the conversion, storing the whole percent qemu-img last reported at most every ProgressWriteMilliseconds
    /// (and at most a hundred writes, however slow it goes). False when the image was deleted meanwhile.
    /// </summary>
    private async Task<bool> ConvertAsync(string arrived, string sourceFormat, string work, string targetFormat, StatusWriter<ImageStatus> status, CancellationToken ct)
    {
        var progress = new ConvertProgress(time);
        var limits = new ToolLimits(null, null, options.Value.ConvertMemoryBytes);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var convert = QemuImg.ConvertAsync(arrived, sourceFormat, work, targetFormat, limits, progress, stop.Token);
        var stalled = false;
        var deleted = false;
        var interval = TimeSpan.FromMilliseconds(options.Value.ProgressWriteMilliseconds);
        var lastWrite = DateTimeOffset.MinValue;
        double? pending = null;
        while (!ct.IsCancellationRequested)
        {
            // The latest whole percent qemu-img printed is stored, at most once per interval: a write per percent
            // made a fast conversion wait for a hundred database writes, and nobody reads progress that fast.
            while (progress.Steps.TryRead(out var step)) pending = Math.Floor(step);
            var wait = WatchInterval;
            if (pending is { } percent && percent != status.Current.Progress)
            {
                var due = lastWrite + interval - time.GetUtcNow();
                if (due <= TimeSpan.Zero)
                {
                    await status.WriteAsync(s => s with { Progress = percent }, ct);
                    lastWrite = time.GetUtcNow();
                    pending = null;
                    continue;
                }
                wait = due < wait ? due : wait;
            }
            if (convert.IsCompleted) break; // Ready follows at once with 100 %; a last step would only delay it.
            await Task.WhenAny(convert, progress.Steps.WaitToReadAsync(ct).AsTask(), Task.Delay(wait, ct));
            deleted = !File.Exists(arrived);
            stalled = time.GetUtcNow() - progress.ChangedAt > TimeSpan.FromSeconds(options.Value.ConvertStallSeconds);
            if (deleted || stalled)
            {
                await stop.CancelAsync();
                break;
            }
        }

        try
        {
            await convert;
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && deleted)
        {
            return false;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && stalled)
        {
            throw new ImageRefusedException($"Converting stood still at {progress.Value:0.#} % for {options.Value.ConvertStallSeconds} s, so it was stopped. The file may be damaged.");
        }
        catch (QemuImgException e) when (e.StandardError.Contains("No space left on device", StringComparison.Ordinal))
        {
            // The host's problem, not the image's: keep the content and try again later (the loop backs off).
            File.Delete(work);
            await status.WriteAsync(s => s with { Message = "The image store is out of space; converting again once there is room." }, ct);
            throw;
        }
        catch (QemuImgException e)
        {
            throw new ImageRefusedException(e.Signal is { } signal
                ? $"Converting the image needed more memory than allowed (qemu-img was stopped by signal {signal}). The file may be damaged, or crafted to exhaust the host."
                : $"Converting the image failed: {ImageInspector.QemuReason(e.StandardError, arrived)}");
        }
    }

    private async Task FinishAsync(Guid id, ResourceStore store, StatusWriter<ImageStatus> status, ImageFormat format, SourceFormat source, long virtualSize, long actualSize,
        IReadOnlyList<string> warnings, CancellationToken ct)
    {
        // Deleted while we worked: whatever we just put in place must go too (the deletion may have missed it).
        if (await store.FindAsync(Kind, id, Actor.System, ct) is null)
        {
            storage.DeleteIfUnreferenced(id);
            return;
        }
        await status.WriteAsync(s => s with
        {
            Phase = ImagePhase.Ready,
            PhaseStartedAt = Now(),
            Format = format,
            SourceFormat = source,
            VirtualSizeBytes = virtualSize,
            ActualSizeBytes = actualSize,
            Progress = 100,
            Message = null,
            Warnings = warnings,
        }, ct);
        logger.LogInformation("Image {Id} is ready ({Format}, {Size}){Warnings}", id, format, Sizes.Describe(virtualSize),
            warnings.Count == 0 ? "" : " with warnings: " + string.Join(" ", warnings));
    }

    /// <summary>No .arrived: either a crash came after the content was put in place (finish), or the content is gone.</summary>
    private async Task FinishWithoutContentAsync(Guid id, StatusWriter<ImageStatus> status, CancellationToken ct)
    {
        var stored = new[] { options.Value.StorageFormat, ImageFormat.Qcow2, ImageFormat.Raw, ImageFormat.Iso }
            .Select(f => (Format: f, Path: storage.PathFor(id, f))).FirstOrDefault(c => File.Exists(c.Path));
        if (stored.Path is null)
        {
            File.Delete(storage.WorkPath(id));
            await status.WriteAsync(s => s with { Phase = ImagePhase.Failed, PhaseStartedAt = Now(), Progress = null, Message = "The content was lost; upload again." }, ct);
            logger.LogWarning("Image {Id} was {Phase} but its content is gone", id, status.Current.Phase);
            return;
        }

        long virtualSize, actualSize;
        if (stored.Format == ImageFormat.Iso)
        {
            virtualSize = actualSize = new FileInfo(stored.Path).Length;
        }
        else
        {
            var info = await QemuImg.InfoAsync(stored.Path, stored.Format.ToString().ToLowerInvariant(), ct);
            (virtualSize, actualSize) = (info.VirtualSizeBytes, info.ActualSizeBytes);
        }
        await status.WriteAsync(s => s with
        {
            Phase = ImagePhase.Ready,
            PhaseStartedAt = Now(),
            Format = stored.Format,
            SourceFormat = s.SourceFormat ?? (stored.Format == ImageFormat.Iso ? SourceFormat.Iso : null),
            VirtualSizeBytes = virtualSize,
            ActualSizeBytes = actualSize,
            Progress = 100,
            Message = null,
        }, ct);
    }

    /// <summary>A refused or abandoned image leaves nothing behind: not its upload, not a half conversion.</summary>
    private void RemoveContent(Guid id)
    {
        File.Delete(storage.ArrivedPath(id));
        File.Delete(storage.WorkPath(id));
    }

    private static bool IsInPipeline(ImagePhase phase) => phase is ImagePhase.Checking or ImagePhase.Converting;

    private DateTime Now() => time.GetUtcNow().UtcDateTime;

    /// <summary>The percentages qemu-img printed, and when the last one came; fed by its output reader.</summary>
    private sealed class ConvertProgress(TimeProvider time) : IProgress<double>
    {
        private readonly Channel<double> _steps = Channel.CreateUnbounded<double>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        private double _value;
        private long _changedAtTicks = time.GetUtcNow().UtcTicks;

        public double Value => Volatile.Read(ref _value);

        public DateTimeOffset ChangedAt => new(Interlocked.Read(ref _changedAtTicks), TimeSpan.Zero);

        public ChannelReader<double> Steps => _steps.Reader;

        public void Report(double value)
        {
            if (value == Volatile.Read(ref _value)) return;
            Volatile.Write(ref _value, value);
            Interlocked.Exchange(ref _changedAtTicks, time.GetUtcNow().UtcTicks);
            _steps.Writer.TryWrite(value);
        }
    }
}
