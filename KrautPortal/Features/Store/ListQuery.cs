using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace KrautPortal.Features.Store;

public enum SortField { Name, Created, Updated }

/// <summary>One page request: a selector, a page size, where the previous page ended, the order, and an exact name.</summary>
/// <param name="Name">Only objects of exactly this name (one per owner): how a client finds an object by name without listing them all.</param>
public sealed record ListQuery(string? Selector = null, int Limit = ListQuery.DefaultLimit, string? Continue = null, string Sort = "name", string? Name = null)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    public (SortField Field, bool Descending) ParseSort()
    {
        var descending = Sort.StartsWith('-');
        var field = Sort.TrimStart('-', '+') switch
        {
            "name" => SortField.Name,
            "created" or "createdAt" => SortField.Created,
            "updated" or "updatedAt" => SortField.Updated,
            _ => throw new BadRequestException("Invalid sort", $"Cannot sort by '{Sort}'. Use name, created or updated, with '-' in front for descending order."),
        };
        return (field, descending);
    }

    public void Validate()
    {
        if (Limit is < 1 or > MaxLimit)
            throw new BadRequestException("Invalid limit", $"limit must be between 1 and {MaxLimit} (got {Limit}).");
        ParseSort();
    }

    /// <summary>Ties a continue token to the query it was made for, so it cannot be replayed against another.</summary>
    internal string Fingerprint(string kind) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{kind}\n{Selector}\n{Sort}\n{Name}")))[..16];
}

/// <summary>Keyset position after the last item of a page: its sort value and its sequence number.</summary>
internal sealed record ContinueToken(string Fingerprint, string Value, long Seq)
{
    public string Encode() => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(this));

    public static ContinueToken Decode(string token, string expectedFingerprint)
    {
        ContinueToken? parsed = null;
        try
        {
            parsed = JsonSerializer.Deserialize<ContinueToken>(Base64Url.DecodeFromChars(token));
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            // fall through to the error below
        }
        if (parsed is null) throw NotIssuedHere();
        if (parsed.Fingerprint != expectedFingerprint)
            throw new BadRequestException("Invalid continue token", "The continue token belongs to a different query (selector or sort changed); start again without it.");
        return parsed;
    }

    /// <summary>The position as a time, for created/updated order. Tokens are only encoded, not signed, so check it.</summary>
    public DateTime TimeValue() =>
        long.TryParse(Value, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) && ticks <= DateTime.MaxValue.Ticks
            ? new DateTime(ticks, DateTimeKind.Utc)
            : throw NotIssuedHere();

    private static BadRequestException NotIssuedHere() =>
        new("Invalid continue token", "The continue token is not one this server issued.");
}
