using KrautPortal.Features.Api;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Images.Upload;

/// <summary>More than <see cref="ImagesOptions.MaxUploadBytes"/>: said before reading when the size is declared, else when it is crossed.</summary>
public sealed class ContentTooLargeException(long? size, long limit)
    : KrautProblemException(413, "Content too large",
        $"Images may be at most {Sizes.Describe(limit)} ({limit} bytes); " +
        (size is { } s ? $"this one is {Sizes.Describe(s)} ({s} bytes)." : "this one went past that, so it was stopped and discarded."));

/// <summary>The image storage's file system would fall below the free space Kraut keeps in reserve.</summary>
public sealed class InsufficientStorageException(long needed, long available, long reserve)
    : KrautProblemException(507, "Insufficient storage",
        $"The image storage has {Sizes.Describe(available)} free and keeps {Sizes.Describe(reserve)} of that in reserve, " +
        $"so it cannot take {(needed > 0 ? Sizes.Describe(needed) + " more" : "any more")}. Free some space, or ask an administrator to.");

/// <summary>The content's SHA-256 is not the one the client said it would be.</summary>
public sealed class ChecksumMismatchException(string expected, string actual)
    : KrautProblemException(422, "Checksum mismatch",
        $"The content's SHA-256 is {actual}, but {expected} was expected. The content was discarded; send it again."), IProblemFields
{
    public string Expected { get; } = expected;
    public string Actual { get; } = actual;

    public IReadOnlyDictionary<string, object?> ProblemFields => new Dictionary<string, object?> { ["expectedSha256"] = Expected, ["actualSha256"] = Actual };
}

/// <summary>A resumed upload that does not continue where the stored part ends.</summary>
public sealed class UploadOffsetException(long bytesReceived, long start)
    : KrautProblemException(409, "Wrong offset",
        $"The upload can only continue at byte {bytesReceived}, which is how much has arrived, but this request starts at byte {start}. " +
        $"Send Content-Range: bytes {bytesReceived}-…/total, or send the whole content without Content-Range to start over."), IProblemFields
{
    public long BytesReceived { get; } = bytesReceived;

    public IReadOnlyDictionary<string, object?> ProblemFields => new Dictionary<string, object?> { ["bytesReceived"] = BytesReceived };
}
