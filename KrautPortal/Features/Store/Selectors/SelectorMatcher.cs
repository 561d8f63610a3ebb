using System.Text.Json.Nodes;

namespace KrautPortal.Features.Store.Selectors;

/// <summary>
/// Evaluates a selector against one metadata object in memory, with the same meaning as the SQL translation:
/// a value matches a JSON string equal to it, or a number/boolean written the same way.
/// Used where there is no row yet (is a new object inside a token's selector?).
/// </summary>
public static class SelectorMatcher
{
    public static bool Matches(Selector selector, JsonObject metadata) => selector.Requirements.All(r => Matches(r, metadata));

    private static bool Matches(SelectorRequirement requirement, JsonObject metadata)
    {
        var value = Find(metadata, requirement.Path, out var present);
        bool AnyEqual() => requirement.Values.Any(v => SameAs(value, v));
        return requirement.Operator switch
        {
            SelectorOperator.Exists => present,
            SelectorOperator.NotExists => !present,
            SelectorOperator.Equals or SelectorOperator.In => present && AnyEqual(),
            SelectorOperator.NotEquals or SelectorOperator.NotIn => !present || !AnyEqual(),
            _ => false,
        };
    }

    private static JsonNode? Find(JsonObject metadata, IReadOnlyList<string> path, out bool present)
    {
        JsonNode? node = metadata;
        foreach (var segment in path)
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(segment, out node))
            {
                present = false;
                return null;
            }
        }
        present = true;
        return node;
    }

    private static bool SameAs(JsonNode? node, string value) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s == value : (node?.ToJsonString() ?? "null") == value;
}
