using KrautPortal.Features.Store;

namespace KrautPortal.Features.Images.Upload;

/// <summary>
/// Runs URL imports in the background, one per image (its transfer slot), with the same streaming, limits and
/// checksum as an upload; any failure ends in phase Failed with the reason and no partial content left.
/// </summary>
public sealed class ImageImporter(IServiceScopeFactory scopes, ImportDownloader downloader, ContentReceiver receiver, IncomingFiles files,
    IImagePipeline pipeline, IHostApplicationLifetime lifetime, ILogger<ImageImporter> logger)
{
    /// <summary>Starts the download; it owns <paramref name="slot"/> from here and lets go when it ends.</summary>
    public void Start(Guid imageId, Uri url, string? expectedSha256, ContentTransfers.Transfer slot) =>
        _ = Task.Run(() => RunAsync(imageId, url, expectedSha256, slot));

    private async Task RunAsync(Guid id, Uri url, string? expectedSha256, ContentTransfers.Transfer slot)
    {
        using var _ = slot;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(slot.Token, lifetime.ApplicationStopping);
        var ct = stop.Token;
        await using var scope = scopes.CreateAsyncScope();
        var statuses = scope.ServiceProvider.GetRequiredService<ImageContentStatus>();
        string? failure;
        try
        {
            failure = await DownloadAsync(id, url, expectedSha256, statuses, ct);
        }
        catch (OperationCanceledException) when (slot.Token.IsCancellationRequested)
        {
            logger.LogInformation("Import of image {Id} from {Url} was cancelled", id, url);
            return; // whoever cancelled cleans up
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return; // start-up marks it failed (IncompleteUploadSweeper)
        }
        catch (ImageGoneException)
        {
            files.Discard(id);
            return;
        }
        catch (KrautProblemException e)
        {
            failure = e.Detail;
        }
        catch (Exception e) when (e is ImportRefusedException or ImportFailedException)
        {
            failure = e.Message;
        }
        catch (ContentSourceException e)
        {
            failure = $"The download broke off after {Sizes.Describe(files.PartLength(id))}: {e.Message}";
        }
        catch (Exception e)
        {
            logger.LogError(e, "Import of image {Id} from {Url} failed", id, url);
            failure = "The download failed unexpectedly; the portal's log has the details.";
        }
        if (failure is not { } reason) return;
        files.Discard(id);
        logger.LogInformation("Import of image {Id} from {Url} failed: {Reason}", id, url, reason);
        await statuses.WriteAsync(id, s => statuses.Failed(s, reason), CancellationToken.None);
    }

    /// <summary>Downloads and hands over; returns why it failed, or null when the content arrived.</summary>
    private async Task<string?> DownloadAsync(Guid id, Uri url, string? expectedSha256, ImageContentStatus statuses, CancellationToken ct)
    {
        using var response = await downloader.GetAsync(url, ct);
        var length = response.Content.Headers.ContentLength;
        receiver.EnsureWithinLimit(length);
        receiver.EnsureSpace(length ?? 0);
        await WriteOrGoneAsync(statuses, id, s => s with { BytesExpected = length }, ct);

        await using var body = new StallGuardStream(await response.Content.ReadAsStreamAsync(ct), downloader.StallTimeout);
        var received = await receiver.ReceiveAsync(id, body, 0, length, length, hash: true,
            (stored, token) => WriteOrGoneAsync(statuses, id, s => ImageContentStatus.Progressed(s, stored), token), ct);

        if (received.Overflowed) return $"The server sent more than the {length} bytes it announced.";
        if (received.Length == 0) return "The server sent no content.";
        if (expectedSha256 is not null && received.Sha256 != expectedSha256)
            return $"The downloaded content's SHA-256 is {received.Sha256}, but {expectedSha256} was expected; it was discarded.";

        files.Promote(id);
        if (!await statuses.WriteAsync(id, s => statuses.Arrived(s, received.Length, received.Sha256!), CancellationToken.None))
        {
            files.DiscardArrived(id);
            return null;
        }
        logger.LogInformation("Image {Id} arrived from {Url}: {Bytes} bytes", id, url, received.Length);
        pipeline.Enqueue(id);
        return null;
    }

    private static async Task WriteOrGoneAsync(ImageContentStatus statuses, Guid id, Func<ImageStatus, ImageStatus> change, CancellationToken ct)
    {
        if (!await statuses.WriteAsync(id, change, ct)) throw new ImageGoneException();
    }
}

/// <summary>The image was deleted while its content was arriving.</summary>
public sealed class ImageGoneException : Exception;
