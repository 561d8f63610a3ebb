using System.Text.Json.Nodes;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Images.Upload;

/// <summary>Where an image's content stands, for a client about to resume (HEAD …/content).</summary>
public sealed record ContentOffset(ImagePhase Phase, bool AcceptsContent, long BytesReceived, long? BytesExpected);

/// <summary>
/// Bringing an image its content: upload (whole, or resumed with Content-Range), import from a URL, and cancelling
/// either. Uploading content is an update of the image: the caller must be allowed to change it.
/// </summary>
public sealed class ImageContentService(
    Authorizer authorizer,
    ResourceStore store,
    ImageContentStatus statuses,
    IncomingFiles files,
    ContentReceiver receiver,
    ContentTransfers transfers,
    ImportAddressPolicy policy,
    ImageImporter importer,
    IImagePipeline pipeline,
    ILogger<ImageContentService> logger)
{
    /// <summary>
    /// Stores the request's body as (part of) the image's content. Returns the image and whether the content is now
    /// whole (handed to the pipeline), or null when the client went away mid-way (what arrived is kept for resuming).
    /// </summary>
    public async Task<(Resource<ImageSpec, ImageStatus> Image, bool Complete)?> UploadAsync(Guid id, HttpRequest request, CancellationToken ct)
    {
        var (actor, _) = await WritableAsync(id, ct);
        var headers = UploadHeaders.Parse(request);
        if (headers.ContentLength == 0 && !headers.HasRange)
            throw new BadRequestException("Empty body", "The body is empty; send the image's bytes (curl -T disk.qcow2 …).");

        using var slot = transfers.TryBegin(id, TransferKind.Upload) ?? throw Busy(id);
        // Read again inside the slot: an upload or cancel that held it may have just changed the phase.
        var image = await statuses.FindAsync(id, ct) ?? throw new NotFoundException(Kinds.Images.Singular, id);
        EnsureAcceptsContent(image);

        var stored = image.Status.Phase == ImagePhase.Uploading ? files.PartLength(id) : 0;
        if (headers.Start != 0 && headers.Start != stored) throw new UploadOffsetException(stored, headers.Start);
        if (headers.Start != 0 && headers.Total is { } total && image.Status.BytesExpected is { } before && total != before)
        {
            throw new ConflictException($"This upload was started for {before} bytes, but this request says the whole content is {total} bytes. " +
                "Send the whole content without Content-Range to start over.");
        }
        receiver.EnsureWithinLimit(headers.WholeSize);
        receiver.EnsureSpace(headers.WholeSize is { } whole ? whole - headers.Start : headers.Length ?? 0);

        var remembered = headers.Start != 0 ? files.ReadExpected(id) : null;
        if (headers.ExpectedSha256 is { } given && remembered is { } earlier && given != earlier)
        {
            throw new ConflictException($"This upload was started expecting SHA-256 {earlier}, but this request says {given}. " +
                "Send the whole content without Content-Range to start over.");
        }
        var expectedSha256 = headers.ExpectedSha256 ?? remembered;

        if (!await statuses.WriteAsync(id, s => statuses.Arriving(s, ImagePhase.Uploading, headers.Start, headers.WholeSize, null, restart: headers.Start == 0), ct))
            throw new NotFoundException(Kinds.Images.Singular, id);
        if (headers.Start == 0 || remembered is null) files.WriteExpected(id, expectedSha256);

        logger.LogInformation("{Actor} uploads image {Id} from byte {Start} ({Length} bytes of {Total})", actor.Name, id, headers.Start,
            headers.Length?.ToString() ?? "?", headers.WholeSize?.ToString() ?? "?");
        try
        {
            // The stream is hashed on its way only when it is the whole content; a resumed upload is hashed from disk once complete.
            var received = await receiver.ReceiveAsync(id, request.Body, headers.Start, headers.HasRange ? headers.Length : null, headers.WholeSize,
                hash: headers.Start == 0 && headers.Completes, (length, token) => ProgressAsync(id, length, token), slot.Token);
            return await FinishAsync(id, headers, received, expectedSha256, actor, slot.Token);
        }
        catch (ContentSourceException e)
        {
            var length = files.PartLength(id);
            logger.LogInformation("Upload of image {Id} broke off after {Bytes} bytes: {Reason}", id, length, e.Message);
            await statuses.WriteAsync(id, s => ImageContentStatus.Progressed(s, length) with
            {
                Message = $"The upload broke off after {Sizes.Describe(length)}. Resume it from byte {length} with Content-Range, or start over.",
            }, CancellationToken.None);
            return null;
        }
        catch (OperationCanceledException) when (slot.Token.IsCancellationRequested)
        {
            throw new ConflictException("The upload was cancelled (DELETE …/content), and what had arrived was removed.");
        }
        catch (ImageGoneException)
        {
            files.Discard(id);
            throw new NotFoundException(Kinds.Images.Singular, id);
        }
        catch (KrautProblemException e) when (e is ContentTooLargeException or InsufficientStorageException or ChecksumMismatchException)
        {
            files.Discard(id);
            await statuses.WriteAsync(id, s => statuses.Failed(s, e.Detail), CancellationToken.None);
            throw;
        }
        catch (Exception e) when (e is not KrautProblemException)
        {
            files.Discard(id);
            await statuses.WriteAsync(id, s => statuses.Failed(s, "The upload failed unexpectedly; the portal's log has the details."), CancellationToken.None);
            throw;
        }
    }

    private async Task<(Resource<ImageSpec, ImageStatus>, bool)> FinishAsync(Guid id, UploadHeaders headers, Received received, string? expectedSha256,
        Actor actor, CancellationToken ct)
    {
        if (received.Overflowed)
        {
            await ProgressAsync(id, received.Length, ct);
            throw new BadRequestException("Body longer than Content-Range",
                $"The body carried more than the {headers.Length} bytes its Content-Range names; the content was kept up to byte {received.Length - 1}.");
        }
        if (headers.HasRange && received.Length < headers.Total)
        {
            await ProgressAsync(id, received.Length, ct);
            return (await VisibleAsync(id, actor, ct), false);
        }
        if (received.Length == 0)
        {
            files.Discard(id);
            await statuses.WriteAsync(id, _ => statuses.Awaiting("An upload arrived empty."), ct);
            throw new BadRequestException("Empty body", "The body is empty; send the image's bytes (curl -T disk.qcow2 …).");
        }

        var sha256 = received.Sha256 ?? await receiver.HashPartAsync(id, ct);
        if (expectedSha256 is not null && sha256 != expectedSha256) throw new ChecksumMismatchException(expectedSha256, sha256);

        files.Promote(id);
        if (!await statuses.WriteAsync(id, s => statuses.Arrived(s, received.Length, sha256), CancellationToken.None))
        {
            files.DiscardArrived(id);
            throw new NotFoundException(Kinds.Images.Singular, id);
        }
        logger.LogInformation("Image {Id} arrived whole: {Bytes} bytes, SHA-256 {Sha256}", id, received.Length, sha256);
        pipeline.Enqueue(id);
        return (await VisibleAsync(id, actor, ct), true);
    }

    /// <summary>How much of the content is stored, and whether the image takes content now.</summary>
    public async Task<ContentOffset> OffsetAsync(Guid id, CancellationToken ct)
    {
        var actor = authorizer.Demand(Verbs.Read, Kinds.Images, id);
        var image = await VisibleAsync(id, actor, ct);
        var status = image.Status;
        return status.Phase switch
        {
            ImagePhase.Uploading => new(status.Phase, true, files.PartLength(id), status.BytesExpected),
            ImagePhase.AwaitingContent or ImagePhase.Failed => new(status.Phase, true, 0, null),
            ImagePhase.Downloading => new(status.Phase, false, files.PartLength(id), status.BytesExpected),
            _ => new(status.Phase, false, status.BytesReceived ?? 0, status.BytesExpected),
        };
    }

    /// <summary>Stops an upload or import, removes what arrived of it, and leaves the image awaiting content.</summary>
    public async Task CancelAsync(Guid id, CancellationToken ct)
    {
        var (actor, image) = await WritableAsync(id, ct);
        EnsureNotArrived(image, "cancel");
        using var slot = await transfers.TakeOverAsync(id, TransferKind.Cancel, ct);
        image = await statuses.FindAsync(id, ct) ?? throw new NotFoundException(Kinds.Images.Singular, id);
        EnsureNotArrived(image, "cancel");

        var phase = image.Status.Phase;
        var hadPart = files.HasPart(id);
        files.Discard(id);
        if (phase == ImagePhase.Failed) files.DiscardArrived(id);
        if (phase == ImagePhase.AwaitingContent && !hadPart) return;
        var what = phase switch
        {
            ImagePhase.Uploading => "The upload was cancelled",
            ImagePhase.Downloading => $"The import from {image.Status.SourceUrl} was cancelled",
            _ => "The content was cleared",
        };
        logger.LogInformation("{Actor} cancelled the content of image {Id} (was {Phase})", actor.Name, id, phase);
        await statuses.WriteAsync(id, _ => statuses.Awaiting($"{what} by {actor.Name}; anything that had arrived was removed."), CancellationToken.None);
    }

    /// <summary>Starts downloading the image's content from a URL; returns at once, with phase Downloading.</summary>
    public async Task<Resource<ImageSpec, ImageStatus>> ImportAsync(Guid id, JsonObject body, CancellationToken ct)
    {
        var (actor, image) = await WritableAsync(id, ct);
        var errors = new ValidationErrors();
        foreach (var (key, _) in body)
        {
            if (key is not ("url" or "sha256")) errors.Add(key, "This field is not known; send url and optionally sha256.");
        }
        string? rawUrl = null;
        if (body["url"] is not JsonValue u || !u.TryGetValue(out rawUrl) || string.IsNullOrWhiteSpace(rawUrl))
            errors.Add("url", "Give the URL to download the image from: {\"url\": \"https://example.com/disk.qcow2\"}.");
        string? sha256 = null;
        if (body["sha256"] is JsonValue s && (!s.TryGetValue(out sha256) || sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigit)))
            errors.Add("sha256", "The checksum must be a SHA-256 in hex: 64 characters 0-9 and a-f.");
        errors.ThrowIfAny();

        Uri url;
        try
        {
            url = await policy.CheckRequestAsync(rawUrl!.Trim(), ct);
        }
        catch (ImportRefusedException e)
        {
            throw new ValidationException("url", e.Message);
        }
        EnsureAcceptsContent(image);

        var slot = transfers.TryBegin(id, TransferKind.Import) ?? throw Busy(id);
        try
        {
            image = await statuses.FindAsync(id, ct) ?? throw new NotFoundException(Kinds.Images.Singular, id);
            EnsureAcceptsContent(image);
            files.Discard(id);
            if (!await statuses.WriteAsync(id, st => statuses.Arriving(st, ImagePhase.Downloading, 0, null, url.ToString(), restart: true), ct))
                throw new NotFoundException(Kinds.Images.Singular, id);
            logger.LogInformation("{Actor} imports image {Id} from {Url}", actor.Name, id, url);
            importer.Start(id, url, sha256?.ToLowerInvariant(), slot);
        }
        catch
        {
            slot.Dispose();
            throw;
        }
        return await VisibleAsync(id, actor, ct);
    }

    private async Task ProgressAsync(Guid id, long length, CancellationToken ct)
    {
        if (!await statuses.WriteAsync(id, s => ImageContentStatus.Progressed(s, length), ct)) throw new ImageGoneException();
    }

    /// <summary>The image, if the caller may change it (an update): 404 when they cannot see it, 403 when it is shared.</summary>
    private async Task<(Actor, Resource<ImageSpec, ImageStatus>)> WritableAsync(Guid id, CancellationToken ct)
    {
        var actor = authorizer.Demand(Verbs.Update, Kinds.Images, id);
        var image = await VisibleAsync(id, actor, ct);
        ResourceStore.EnsureNotSystem(image.System, image.Name, image.Owner, actor);
        if (!actor.MayAccessOwner(image.Owner))
            throw new ForbiddenException($"'{image.Name}' is shared by the administrators; you may use it but not change its content.");
        return (actor, image);
    }

    private async Task<Resource<ImageSpec, ImageStatus>> VisibleAsync(Guid id, Actor actor, CancellationToken ct) =>
        Resource<ImageSpec, ImageStatus>.FromRow(await store.GetAsync(Kinds.Images.Name, id, actor, ct));

    private static void EnsureAcceptsContent(Resource<ImageSpec, ImageStatus> image)
    {
        var status = image.Status;
        switch (status.Phase)
        {
            case ImagePhase.AwaitingContent or ImagePhase.Uploading or ImagePhase.Failed:
                return;
            case ImagePhase.Downloading:
                throw new ConflictException($"Image '{image.Name}' is being imported from {status.SourceUrl}. Cancel that with DELETE /api/v1/images/{image.Id}/content first.");
            default:
                EnsureNotArrived(image, "upload to");
                return;
        }
    }

    private static void EnsureNotArrived(Resource<ImageSpec, ImageStatus> image, string verb)
    {
        var phase = image.Status.Phase;
        if (phase == ImagePhase.Copying)
            throw new ConflictException($"Image '{image.Name}' is being made from a VM's disk; there is nothing to {verb}. Delete the image to stop it.");
        if (phase is ImagePhase.Checking or ImagePhase.Converting)
            throw new ConflictException($"Image '{image.Name}' has its content and it is being checked; there is nothing to {verb}. Delete the image to start again.");
        if (phase == ImagePhase.Ready)
            throw new ConflictException($"Image '{image.Name}' is ready; its content does not change. Create a new image for other content.");
    }

    private ConflictException Busy(Guid id) => new(transfers.ActiveKind(id) switch
    {
        TransferKind.Import => "This image is being imported from a URL. Cancel that with DELETE …/content first.",
        TransferKind.Upload => "Another upload to this image is in progress. Wait for it, or cancel it with DELETE …/content.",
        _ => "This image's partial content is being removed; try again in a moment.",
    });
}
