using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Images.Pages;

/// <summary>
/// Staged: chosen, not sent yet (name and architecture can still change). Creating: the image record is being made.
/// Queued … Interrupted: the browser sends the file (image-upload.js). WithServer: every byte arrived, or a URL import
/// was accepted; from then on the image's own phase is what the row shows.
/// </summary>
public enum UploadState { Staged, Creating, Queued, Uploading, Retrying, Interrupted, Failed, Cancelling, Cancelled, WithServer }

/// <summary>One row of the Images page's transfer list: a file from this browser, or a URL import started here.</summary>
public sealed class UploadEntry
{
    public required string Key { get; init; }

    /// <summary>The file name, or the URL of an import.</summary>
    public required string Source { get; init; }
    public bool IsImport { get; init; }
    public long Size { get; set; }

    /// <summary>The image's name and architecture, as the staged form holds them.</summary>
    public string Name { get; set; } = "";
    public string Architecture { get; set; } = Architectures.X86_64;

    public Guid? ImageId { get; set; }

    /// <summary>The image record was made for this transfer, so cancelling removes it again.</summary>
    public bool CreatedHere { get; set; }

    public UploadState State { get; set; }
    public long BytesSent { get; set; }
    public double BytesPerSecond { get; set; }
    public bool CanResume { get; set; }

    /// <summary>What went wrong, or what is going on, in words.</summary>
    public string? Message { get; set; }

    /// <summary>The image as the server last showed it, once the content is with the server.</summary>
    public Resource<ImageSpec, ImageStatus>? Image { get; set; }

    /// <summary>The browser is still busy with the file.</summary>
    public bool IsSending => State is UploadState.Queued or UploadState.Uploading or UploadState.Retrying;

    /// <summary>Nothing more will happen to this row; it can be dismissed.</summary>
    public bool IsSettled => State is UploadState.Cancelled
        || (State == UploadState.WithServer && Image?.Status.Phase is ImagePhase.Ready or ImagePhase.Failed)
        || (State == UploadState.WithServer && Image is null);

    /// <summary>What the row is, for tests and styling: the upload's state, then the image's phase.</summary>
    public string StateName => State == UploadState.WithServer && Image is not null
        ? KrautJson.Serialize(Image.Status.Phase).Trim('"')
        : State == UploadState.WithServer ? "gone" : State.ToString().ToLowerInvariant();

    public void Apply(UploadReport report)
    {
        Size = report.Size;
        BytesSent = report.Sent;
        BytesPerSecond = report.BytesPerSecond;
        CanResume = report.CanResume;
        ImageId = report.ImageId ?? ImageId;
        // The page's own steps (Creating, Cancelling) outrank what the script last said.
        if (State is UploadState.Creating or UploadState.Cancelling or UploadState.Cancelled) return;
        (State, Message) = report.State switch
        {
            "staged" => (UploadState.Staged, Message),
            "queued" => (UploadState.Queued, null),
            "uploading" => (UploadState.Uploading, null),
            "retrying" => (UploadState.Retrying, report.Message),
            "interrupted" => (UploadState.Interrupted, report.Message),
            "failed" => (UploadState.Failed, report.Message),
            "done" => (UploadState.WithServer, null),
            _ => (State, Message),
        };
    }
}

/// <summary>What image-upload.js says about one upload (see describe() there).</summary>
public sealed record UploadReport(string Key, string FileName, long Size, Guid? ImageId, string State, string? Message, long Sent, double BytesPerSecond, bool CanResume);
