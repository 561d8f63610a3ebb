using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Api;

/// <summary>Reads a request's JSON body with a size bound, and says exactly where malformed JSON breaks.</summary>
public static class JsonBodyReader
{
    public const int MaxBytes = 1024 * 1024;

    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, CancellationToken ct)
    {
        var type = request.ContentType ?? "";
        if (!type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            && !type.StartsWith("application/merge-patch+json", StringComparison.OrdinalIgnoreCase))
        {
            throw new UnsupportedMediaTypeException(type);
        }
        if (request.ContentLength > MaxBytes) throw new PayloadTooLargeException(request.ContentLength.Value);

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBytes) throw new PayloadTooLargeException(null);
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) throw new BadRequestException("Missing body", "This request needs a JSON object in its body.");
        // JsonNode transcodes strings only when they are read, so bad UTF-8 would surface later as a 500: check it up front.
        if (!Utf8.IsValid(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))
            throw new BadRequestException("Malformed JSON", "The body is not valid UTF-8.");

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(buffer.ToArray(), documentOptions: new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, position {e.BytePositionInLine + 1}" : "";
            throw new BadRequestException("Malformed JSON", $"The body is not valid JSON{where}: {FirstSentence(e.Message)}");
        }
        return node as JsonObject ?? throw new BadRequestException("Malformed JSON", "The body must be a JSON object ({...}).");
    }

    /// <summary>Drops System.Text.Json's own location suffix: it counts from 0 and would contradict ours, which counts from 1.</summary>
    private static string FirstSentence(string message)
    {
        foreach (var marker in new[] { " LineNumber:", " Path:" })
        {
            var cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0) message = message[..cut];
        }
        return message;
    }
}

public sealed class UnsupportedMediaTypeException(string contentType)
    : KrautProblemException(415, "Unsupported media type",
        $"Send the body as application/json (or application/merge-patch+json for PATCH), not '{(contentType.Length == 0 ? "nothing" : contentType)}'.");

public sealed class PayloadTooLargeException(long? length)
    : KrautProblemException(413, "Request too large",
        $"JSON bodies may be at most {JsonBodyReader.MaxBytes / 1024} KiB{(length is { } l ? $"; this one is {l / 1024} KiB" : "")}.");
