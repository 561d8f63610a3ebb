using System.Text.Json;
using System.Text.Json.Nodes;

namespace KrautPortal.Features.Audit;

/// <summary>
/// What a request's body becomes in the audit trail. JSON is parsed whole, values under keys that look secret are
/// replaced by "***" at any depth, and only then is the text cut to <see cref="MaxChars"/>: a cut never reveals what a
/// mask would have hidden. Anything else (an image upload) is recorded as its type and size, never its bytes.
/// </summary>
public static class AuditParameters
{
    public const int MaxChars = 8 * 1024;
    public const string Mask = "***";

    /// <summary>
    /// Key fragments (case-insensitive) whose values are masked. Over-masking is cheap, a leaked secret is not: "key" also
    /// hides SSH public keys, and "userData" hides a whole cloud-init document, because scripts carry passwords.
    /// </summary>
    public static readonly IReadOnlyList<string> SecretKeyParts =
        ["password", "passwd", "passphrase", "secret", "token", "key", "otp", "code", "credential", "authorization", "cookie", "ticket", "userdata", "user-data", "private"];

    public static bool IsSecretKey(string key)
    {
        var k = key.ToLowerInvariant();
        return SecretKeyParts.Any(part => k.Contains(part, StringComparison.Ordinal));
    }

    public static bool IsJson(string? contentType) =>
        contentType is not null && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || contentType.StartsWith("application/merge-patch+json", StringComparison.OrdinalIgnoreCase)
            || contentType.Contains("+json", StringComparison.OrdinalIgnoreCase));

    /// <param name="captured">The body's bytes (JSON only), or null when the body was not JSON.</param>
    /// <param name="complete">False when the body was longer than was kept.</param>
    public static string? Describe(string? contentType, long bytes, byte[]? captured, bool complete)
    {
        if (bytes == 0) return null;
        if (captured is null || !complete)
            return Note(contentType, bytes, captured is null ? null : "too large to record");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(captured, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException)
        {
            return Note(contentType, bytes, "not valid JSON");
        }
        catch (InvalidOperationException)
        {
            return Note(contentType, bytes, "not valid JSON");
        }
        var text = (MaskSecrets(node) ?? JsonValue.Create((string?)null))?.ToJsonString() ?? "null";
        return text.Length <= MaxChars ? text : text[..MaxChars] + "…";
    }

    /// <summary>Masks in place and returns the node.</summary>
    public static JsonNode? MaskSecrets(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (IsSecretKey(key)) obj[key] = obj[key] is null ? null : Mask;
                    else MaskSecrets(obj[key]);
                }
                break;
            case JsonArray array:
                foreach (var item in array) MaskSecrets(item);
                break;
        }
        return node;
    }

    private static string Note(string? contentType, long bytes, string? why)
    {
        var note = new JsonObject { ["contentType"] = contentType, ["bytes"] = bytes };
        if (why is not null) note["note"] = why;
        return note.ToJsonString();
    }
}

/// <summary>
/// Wraps a request body: counts what the handler reads and keeps a copy of the first bytes (JSON only), so the audit
/// sees exactly what was sent without reading the body a second time.
/// </summary>
internal sealed class CapturingStream(Stream inner, int keep) : Stream
{
    private readonly MemoryStream? _copy = keep > 0 ? new MemoryStream() : null;

    public long Bytes { get; private set; }
    public bool Ended { get; private set; }
    public bool Overflowed { get; private set; }

    public byte[]? Captured => _copy?.ToArray();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        Keep(buffer.Span[..read]);
        return read;
    }

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        await ReadAsync(buffer.AsMemory(offset, count), cancellationToken);

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        Keep(buffer.AsSpan(offset, read));
        return read;
    }

    private void Keep(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0)
        {
            Ended = true;
            return;
        }
        Bytes += bytes.Length;
        if (_copy is null || Overflowed) return;
        if (_copy.Length + bytes.Length > keep)
        {
            Overflowed = true;
            _copy.SetLength(0);
            return;
        }
        _copy.Write(bytes);
    }

    /// <summary>Reads what the handler left unread (a refusal before the body), up to the bound, so refused calls show their parameters too.</summary>
    public async Task DrainAsync(CancellationToken ct)
    {
        if (_copy is null) return;
        var chunk = new byte[16 * 1024];
        while (!Ended && !Overflowed)
        {
            if (await ReadAsync(chunk, ct) == 0) break;
        }
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
