using System.Text.Json;

namespace KrautPortal.Features.Firewalls;

/// <summary>Packets and bytes one rule (or several rules with the same comment, summed) has counted.</summary>
public sealed record RuleCounter(long Packets, long Bytes);

/// <summary>
/// Reads <c>nft -j list table inet kraut</c>: every rule with a <c>counter</c> and a comment <c>kraut:&lt;key&gt;</c>
/// gives the counter of that key (<c>&lt;rule id&gt;</c>, <c>&lt;rule id&gt;:limit</c>, <c>fwd:&lt;id&gt;</c>,
/// <c>default:inbound</c>, <c>base:…</c>). Rules of other comments, and other tables, are not Kraut's and are skipped.
/// </summary>
public static class NftCounters
{
    public const string CommentPrefix = "kraut:";

    public static IReadOnlyDictionary<string, RuleCounter> Parse(string json)
    {
        var counters = new SortedDictionary<string, RuleCounter>(StringComparer.Ordinal);
        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("nftables", out var items) || items.ValueKind != JsonValueKind.Array)
            throw new FormatException("This is not nft's JSON: there is no \"nftables\" array.");
        foreach (var item in items.EnumerateArray())
        {
            if (!item.TryGetProperty("rule", out var rule)) continue;
            if (Text(rule, "family") != "inet" || Text(rule, "table") != "kraut") continue;
            if (Text(rule, "comment") is not { } comment || !comment.StartsWith(CommentPrefix, StringComparison.Ordinal)) continue;
            if (!rule.TryGetProperty("expr", out var expressions) || expressions.ValueKind != JsonValueKind.Array) continue;
            foreach (var expression in expressions.EnumerateArray())
            {
                if (expression.ValueKind != JsonValueKind.Object || !expression.TryGetProperty("counter", out var counter)) continue;
                if (counter.ValueKind != JsonValueKind.Object) continue; // a named counter object ({"counter": "name"}): not Kraut's
                var key = comment[CommentPrefix.Length..];
                var packets = counter.TryGetProperty("packets", out var p) ? p.GetInt64() : 0;
                var bytes = counter.TryGetProperty("bytes", out var b) ? b.GetInt64() : 0;
                counters[key] = counters.TryGetValue(key, out var seen) ? new RuleCounter(seen.Packets + packets, seen.Bytes + bytes) : new RuleCounter(packets, bytes);
            }
        }
        return counters;
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
