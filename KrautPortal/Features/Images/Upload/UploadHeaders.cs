using System.Globalization;
using System.Net.Http.Headers;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Images.Upload;

/// <summary>What a PUT of content declares before its first byte: where it starts, how much it brings, what it should hash to.</summary>
/// <param name="Start">0, or a Content-Range's first byte.</param>
/// <param name="End">A Content-Range's last byte (inclusive); null without Content-Range.</param>
/// <param name="Total">A Content-Range's total: the whole content's size.</param>
public sealed record UploadHeaders(long Start, long? End, long? Total, long? ContentLength, string? ExpectedSha256)
{
    public const string ChecksumHeader = "X-Content-SHA256";

    public bool HasRange => End is not null;

    /// <summary>Bytes this request brings, when it says.</summary>
    public long? Length => HasRange ? End - Start + 1 : ContentLength;

    /// <summary>The whole content's size, when known before reading.</summary>
    public long? WholeSize => HasRange ? Total : ContentLength;

    /// <summary>This request brings the content's last byte.</summary>
    public bool Completes => !HasRange || End + 1 == Total;

    public static UploadHeaders Parse(HttpRequest request)
    {
        var length = request.ContentLength;
        long start = 0;
        long? end = null, total = null;
        var range = request.Headers.ContentRange.ToString();
        if (range.Length > 0)
        {
            if (!ContentRangeHeaderValue.TryParse(range, out var value) || value.Unit != "bytes" || !value.HasRange || !value.HasLength
                || value.From > value.To || value.To >= value.Length)
            {
                throw new BadRequestException("Invalid Content-Range",
                    $"Content-Range must name the bytes this request carries and the whole size, such as 'bytes 1048576-2097151/4294967296' (got '{range}').");
            }
            (start, end, total) = (value.From!.Value, value.To!.Value, value.Length!.Value);
            if (length is { } l && l != end - start + 1)
                throw new BadRequestException("Invalid Content-Range", $"Content-Range '{range}' names {end - start + 1} bytes, but Content-Length says {l}.");
        }
        return new UploadHeaders(start, end, total, length, ExpectedChecksum(request));
    }

    /// <summary>From the X-Content-SHA256 header or the sha256 query parameter (they must agree when both are given).</summary>
    private static string? ExpectedChecksum(HttpRequest request)
    {
        var header = request.Headers[ChecksumHeader].ToString().Trim();
        var query = request.Query["sha256"].ToString().Trim();
        string? fromHeader = header.Length > 0 ? ParseSha256(header, ChecksumHeader) : null;
        string? fromQuery = query.Length > 0 ? ParseSha256(query, "?sha256") : null;
        if (fromHeader is not null && fromQuery is not null && fromHeader != fromQuery)
            throw new BadRequestException("Conflicting checksums", $"{ChecksumHeader} says {fromHeader} but ?sha256 says {fromQuery}; send one.");
        return fromHeader ?? fromQuery;
    }

    public static string ParseSha256(string value, string where)
    {
        if (value.Length == 64 && value.All(char.IsAsciiHexDigit)) return value.ToLower(CultureInfo.InvariantCulture);
        throw new BadRequestException("Invalid checksum", $"{where} must be a SHA-256 in hex: 64 characters 0-9 and a-f (got '{Shorten(value)}').");
    }

    private static string Shorten(string value) => value.Length <= 80 ? value : value[..80] + "…";
}
