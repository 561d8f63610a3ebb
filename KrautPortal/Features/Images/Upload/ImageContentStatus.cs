using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Images.Upload;

/// <summary>Reads an image and writes its transfer status, as Kraut itself (the caller was authorized before).</summary>
public sealed class ImageContentStatus(ResourceStore store, TimeProvider time)
{
    public async Task<Resource<ImageSpec, ImageStatus>?> FindAsync(Guid id, CancellationToken ct) =>
        await store.FindAsync(Kinds.Images.Name, id, Actor.System, ct) is { } row ? Resource<ImageSpec, ImageStatus>.FromRow(row) : null;

    /// <summary>Applies <paramref name="change"/> to the stored status; false when the image is gone.</summary>
    public async Task<bool> WriteAsync(Guid id, Func<ImageStatus, ImageStatus> change, CancellationToken ct)
    {
        if (await FindAsync(id, ct) is not { } image) return false;
        await new StatusWriter<ImageStatus>(store, Kinds.Images, id, image.Status).WriteAsync(change, ct);
        return true;
    }

    public DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>Content is arriving (<see cref="ImagePhase.Uploading"/> or <see cref="ImagePhase.Downloading"/>).</summary>
    public ImageStatus Arriving(ImageStatus status, ImagePhase phase, long received, long? expected, string? sourceUrl, bool restart) => status with
    {
        Phase = phase,
        PhaseStartedAt = restart || status.Phase != phase ? Now : status.PhaseStartedAt,
        BytesReceived = received,
        BytesExpected = expected,
        Progress = ProgressOf(received, expected),
        SourceUrl = sourceUrl,
        FromVm = null,
        Sha256 = null,
        Message = null,
        Format = null,
        SourceFormat = null,
        VirtualSizeBytes = null,
        ActualSizeBytes = null,
    };

    public static ImageStatus Progressed(ImageStatus status, long received) => status with
    {
        BytesReceived = received,
        Progress = ProgressOf(received, status.BytesExpected),
    };

    /// <summary>Whole and checked: the pipeline's turn.</summary>
    public ImageStatus Arrived(ImageStatus status, long length, string sha256) => status with
    {
        Phase = ImagePhase.Checking,
        PhaseStartedAt = Now,
        BytesReceived = length,
        BytesExpected = length,
        Progress = null,
        Sha256 = sha256,
        Message = null,
    };

    public ImageStatus Failed(ImageStatus status, string reason) => status with
    {
        Phase = ImagePhase.Failed,
        PhaseStartedAt = Now,
        BytesReceived = null,
        BytesExpected = null,
        Progress = null,
        Sha256 = null,
        Message = reason,
    };

    /// <summary>Back to the start: no content, ready for an upload or import.</summary>
    public ImageStatus Awaiting(string? message) => new()
    {
        Phase = ImagePhase.AwaitingContent,
        PhaseStartedAt = Now,
        Message = message,
    };

    private static double? ProgressOf(long received, long? expected) =>
        expected is > 0 ? Math.Round(100.0 * received / expected.Value, 1) : null;
}
