using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KrautCli.Output;

/// <summary>Values by dotted path (<c>spec.memoryMiB</c>), as table cells.</summary>
public static class JsonPath
{
    public static JsonNode? Get(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            node = node switch
            {
                JsonObject o => o[part],
                JsonArray a when int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => null,
            };
            if (node is null) return null;
        }
        return node;
    }

    /// <summary>A cell: text as is, metadata as <c>k=v,k=v</c>, lists comma-joined, nothing as "-" (so columns stay split by spaces).</summary>
    public static string Cell(JsonNode? node) => node switch
    {
        null => "-",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => (string)v! is { Length: > 0 } s ? s : "-",
        JsonValue v => v.ToJsonString(),
        JsonObject o when o.Count == 0 => "-",
        JsonObject o when o.All(p => p.Value is JsonValue) => string.Join(',', o.Select(p => $"{p.Key}={Cell(p.Value)}")),
        JsonArray a when a.Count == 0 => "-",
        JsonArray a when a.All(x => x is JsonValue) => string.Join(',', a.Select(Cell)),
        _ => node.ToJsonString(),
    };
}
