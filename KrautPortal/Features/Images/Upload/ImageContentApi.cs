using System.Globalization;
using KrautPortal.Features.Api;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Images.Upload;

/// <summary>Image content over HTTP: PUT (upload, resumable), HEAD (how much arrived), DELETE (cancel), and POST …/import (from a URL).</summary>
public static class ImageContentApi
{
    public const string BytesReceivedHeader = "X-Bytes-Received";
    public const string BytesExpectedHeader = "X-Bytes-Expected";
    public const string PhaseHeader = "X-Image-Phase";
    public const string LimitHeader = "X-Upload-Limit";

    public static void MapImageContent(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/images/{id}").WithTags(Kinds.Images.Plural);
        group.AddEndpointFilter(AnswerWithDetails);
        group.MapPut("/content", UploadAsync).WithName("UploadImageContent")
            .WithSummary("Upload the image's bytes as the raw body (curl -T disk.qcow2). Resume with Content-Range: bytes <start>-<end>/<total>; " +
                "check with X-Content-SHA256 or ?sha256. 200 while parts are missing, 202 once whole (then phase checking).");
        group.MapMethods("/content", [HttpMethods.Head], OffsetAsync).WithName("ImageContentOffset")
            .WithSummary("How much has arrived (X-Bytes-Received): where to resume. 409 when the image takes no content now.");
        group.MapDelete("/content", CancelAsync).WithName("CancelImageContent")
            .WithSummary("Cancel an upload or import and remove what arrived of it; the image awaits content again.");
        group.MapPost("/import", ImportAsync).WithName("ImportImage")
            .WithSummary("Download the image's content from a public http(s) URL in the background. Body: {\"url\": \"https://…\", \"sha256\": \"optional\"}. " +
                "Watch status.phase (downloading, then checking).")
            .Accepts<ImportRequest>("application/json");
    }

    public static async Task<Results<Ok<Resource<ImageSpec, ImageStatus>>, Accepted<Resource<ImageSpec, ImageStatus>>, EmptyHttpResult>> UploadAsync(
        ImageContentService content, string id, HttpContext http, CancellationToken ct)
    {
        // The size is ours to limit (Images:MaxUploadBytes), counted while streaming; Kestrel's 30 MB default would stop every image.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
        var outcome = await content.UploadAsync(ApiIds.Parse(id), http.Request, ct);
        if (outcome is not { } result) return TypedResults.Empty; // the client left; what arrived is kept for resuming
        var (image, complete) = result;
        http.Response.Headers.ETag = ETags.For(image.Version);
        http.Response.Headers[BytesReceivedHeader] = (image.Status.BytesReceived ?? 0).ToString(CultureInfo.InvariantCulture);
        return complete ? TypedResults.Accepted($"/api/v1/images/{image.Id}", image) : TypedResults.Ok(image);
    }

    public static async Task<Results<Ok, Conflict>> OffsetAsync(ImageContentService content, IOptions<ImagesOptions> options, string id, HttpContext http,
        CancellationToken ct)
    {
        var offset = await content.OffsetAsync(ApiIds.Parse(id), ct);
        var headers = http.Response.Headers;
        headers[BytesReceivedHeader] = offset.BytesReceived.ToString(CultureInfo.InvariantCulture);
        if (offset.BytesExpected is { } expected) headers[BytesExpectedHeader] = expected.ToString(CultureInfo.InvariantCulture);
        headers[PhaseHeader] = KrautJson.Serialize(offset.Phase).Trim('"');
        headers[LimitHeader] = options.Value.MaxUploadBytes.ToString(CultureInfo.InvariantCulture);
        return offset.AcceptsContent ? TypedResults.Ok() : TypedResults.Conflict();
    }

    public static async Task<NoContent> CancelAsync(ImageContentService content, string id, CancellationToken ct)
    {
        await content.CancelAsync(ApiIds.Parse(id), ct);
        return TypedResults.NoContent();
    }

    public static async Task<Accepted<Resource<ImageSpec, ImageStatus>>> ImportAsync(ImageContentService content, string id, HttpContext http, CancellationToken ct)
    {
        var guid = ApiIds.Parse(id);
        var image = await content.ImportAsync(guid, await JsonBodyReader.ReadObjectAsync(http.Request, ct), ct);
        http.Response.Headers.ETag = ETags.For(image.Version);
        return TypedResults.Accepted($"/api/v1/images/{guid}", image);
    }

    /// <summary>
    /// Problems that carry more than a sentence (their <see cref="IProblemFields"/>), answered inside the endpoint:
    /// where to resume also goes in a header, which the exception handler middleware would drop.
    /// </summary>
    private static async ValueTask<object?> AnswerWithDetails(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (UploadOffsetException e)
        {
            context.HttpContext.Response.Headers[BytesReceivedHeader] = e.BytesReceived.ToString(CultureInfo.InvariantCulture);
            return Problems.Result(e);
        }
        catch (ChecksumMismatchException e)
        {
            return Problems.Result(e);
        }
    }
}

/// <summary>The body of POST …/import (for the API description; read by hand).</summary>
public sealed record ImportRequest(string Url, string? Sha256);
