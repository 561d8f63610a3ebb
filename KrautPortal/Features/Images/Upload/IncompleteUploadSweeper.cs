using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Images.Upload;

/// <summary>
/// Cleans up after transfers that will not finish. At start-up: imports cut off by a restart fail (they are not
/// resumed), interrupted uploads get their true byte count. Then every few minutes: partial uploads untouched for
/// <see cref="ImagesOptions.IncompleteUploadHours"/> are removed and their image awaits content again.
/// </summary>
public sealed class IncompleteUploadSweeper(IServiceScopeFactory scopes, IncomingFiles files, ImageStorage storage, ContentTransfers transfers,
    IOptions<ImagesOptions> options, TimeProvider time, ILogger<IncompleteUploadSweeper> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RecoverAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Recovering interrupted image transfers failed");
        }
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            do
            {
                try
                {
                    await SweepAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Sweeping incomplete uploads failed");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    /// <summary>Fixes what a restart left half-way: downloads fail, uploads count what their partial content holds.</summary>
    public async Task RecoverAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var statuses = scope.ServiceProvider.GetRequiredService<ImageContentStatus>();
        var images = await scope.ServiceProvider.GetRequiredService<KindReader>().StatusesAsync<ImageStatus>(Kinds.Images, ct);
        foreach (var (id, status) in images)
        {
            if (status.Phase is not (ImagePhase.Uploading or ImagePhase.Downloading)) continue;
            using var slot = transfers.TryBegin(id, TransferKind.Sweep);
            if (slot is null) continue; // a transfer started since: it is live
            if (status.Phase == ImagePhase.Downloading)
            {
                files.Discard(id);
                await statuses.WriteAsync(id, s => statuses.Failed(s, $"Kraut restarted while downloading {s.SourceUrl}; import it again."), ct);
            }
            else if (!files.HasPart(id))
            {
                files.Discard(id);
                await statuses.WriteAsync(id, _ => statuses.Awaiting("The partial upload was lost; upload again."), ct);
            }
            else
            {
                var length = files.PartLength(id);
                await statuses.WriteAsync(id, s => ImageContentStatus.Progressed(s, length), ct);
            }
        }
    }

    /// <summary>Removes partial uploads untouched for longer than allowed; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var hours = options.Value.IncompleteUploadHours;
        var cutoff = time.GetUtcNow().UtcDateTime - TimeSpan.FromHours(hours);
        var removed = 0;
        foreach (var path in Directory.EnumerateFiles(storage.Incoming))
        {
            var name = Path.GetFileName(path);
            var isPart = name.EndsWith(".part", StringComparison.Ordinal);
            if (!Guid.TryParse(name.Split('.')[0], out var id)) continue;
            if (!isPart && !name.EndsWith(".part.sha256", StringComparison.Ordinal)) continue;
            // A checksum without its partial content is left over from a removal that raced; the content decides.
            if (!isPart && files.HasPart(id)) continue;
            if (isPart && File.GetLastWriteTimeUtc(path) > cutoff) continue;

            using var slot = transfers.TryBegin(id, TransferKind.Sweep);
            if (slot is null) continue;
            var length = files.PartLength(id);
            files.Discard(id);
            if (!isPart) continue;
            removed++;
            await using var scope = scopes.CreateAsyncScope();
            var statuses = scope.ServiceProvider.GetRequiredService<ImageContentStatus>();
            if (await statuses.FindAsync(id, ct) is { Status.Phase: ImagePhase.Uploading } image)
            {
                var of = image.Status.BytesExpected is { } expected ? $" of {Sizes.Describe(expected)}" : "";
                await statuses.WriteAsync(id, _ => statuses.Awaiting(
                    $"An interrupted upload ({Sizes.Describe(length)}{of}) was removed after {hours} hours without progress; upload again."), ct);
            }
            logger.LogInformation("Removed an incomplete upload of image {Id} ({Bytes} bytes, untouched for {Hours} hours)", id, length, hours);
        }
        return removed;
    }
}
