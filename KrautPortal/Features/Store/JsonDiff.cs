using System.Text.Json.Nodes;

namespace KrautPortal.Features.Store;

public enum JsonChangeKind { Added, Removed, Changed }

/// <summary>One difference between two JSON documents, at a path like <c>spec.nics[1].networkId</c>.</summary>
public sealed record JsonChange(string Path, JsonChangeKind Kind, JsonNode? From, JsonNode? To);

/// <summary>What changed between two JSON documents, path by path (history's diff and change summaries).</summary>
public static class JsonDiff
{
    public static IReadOnlyList<JsonChange> Compute(JsonNode? from, JsonNode? to)
    {
        var changes = new List<JsonChange>();
        Walk("", from, to, changes);
        return changes;
    }

    /// <summary>A one-line summary for history, e.g. <c>changed spec.vcpus, metadata.env</c>.</summary>
    public static string Describe(JsonNode? from, JsonNode? to)
    {
        var paths = Compute(from, to).Select(c => c.Path).ToList();
        if (paths.Count == 0) return "no change";
        var shown = string.Join(", ", paths.Take(5));
        return paths.Count > 5 ? $"changed {shown} and {paths.Count - 5} more" : $"changed {shown}";
    }

    private static void Walk(string path, JsonNode? a, JsonNode? b, List<JsonChange> changes)
    {
        switch (a, b)
        {
            case (JsonObject oa, JsonObject ob):
                foreach (var (key, va) in oa)
                {
                    var child = Join(path, key);
                    if (!ob.ContainsKey(key)) changes.Add(new JsonChange(child, JsonChangeKind.Removed, va?.DeepClone(), null));
                    else Walk(child, va, ob[key], changes);
                }
                foreach (var (key, vb) in ob)
                {
                    if (!oa.ContainsKey(key)) changes.Add(new JsonChange(Join(path, key), JsonChangeKind.Added, null, vb?.DeepClone()));
                }
                break;
            case (JsonArray xa, JsonArray xb) when IdentityKey(xa, xb) is { } key:
                WalkById(path, xa, xb, key, changes);
                break;
            case (JsonArray xa, JsonArray xb):
                for (var i = 0; i < Math.Max(xa.Count, xb.Count); i++)
                {
                    var child = $"{path}[{i}]";
                    if (i >= xb.Count) changes.Add(new JsonChange(child, JsonChangeKind.Removed, xa[i]?.DeepClone(), null));
                    else if (i >= xa.Count) changes.Add(new JsonChange(child, JsonChangeKind.Added, null, xb[i]?.DeepClone()));
                    else Walk(child, xa[i], xb[i], changes);
                }
                break;
            default:
                if (!JsonNode.DeepEquals(a, b)) changes.Add(new JsonChange(path, JsonChangeKind.Changed, a?.DeepClone(), b?.DeepClone()));
                break;
        }
    }

    /// <summary>Keys that name an element of an array (a NIC's <c>id</c>), tried in order.</summary>
    private static readonly string[] IdentityKeys = ["id", "name"];

    /// <summary>
    /// The key every element of both arrays carries, as a string or number, once per array: then elements are the same
    /// element by that key wherever they sit, so a NIC inserted in front is one addition, not every NIC changed.
    /// </summary>
    private static string? IdentityKey(JsonArray a, JsonArray b) =>
        a.Count + b.Count == 0 ? null : IdentityKeys.FirstOrDefault(key => IdentitiesOf(a, key) is not null && IdentitiesOf(b, key) is not null);

    private static List<string>? IdentitiesOf(JsonArray array, string key)
    {
        var ids = new List<string>();
        foreach (var element in array)
        {
            if (element is not JsonObject o || o[key] is not JsonValue v || v.GetValueKind() is not (System.Text.Json.JsonValueKind.String or System.Text.Json.JsonValueKind.Number))
                return null;
            ids.Add(v.ToJsonString());
        }
        return ids.Distinct().Count() == ids.Count ? ids : null;
    }

    /// <summary>Matched elements are compared at their place in the newer array; removed ones are named at their place in the older.</summary>
    private static void WalkById(string path, JsonArray a, JsonArray b, string key, List<JsonChange> changes)
    {
        var before = IdentitiesOf(a, key)!;
        var after = IdentitiesOf(b, key)!;
        for (var i = 0; i < a.Count; i++)
        {
            if (!after.Contains(before[i])) changes.Add(new JsonChange($"{path}[{i}]", JsonChangeKind.Removed, a[i]?.DeepClone(), null));
        }
        for (var j = 0; j < b.Count; j++)
        {
            var i = before.IndexOf(after[j]);
            if (i < 0) changes.Add(new JsonChange($"{path}[{j}]", JsonChangeKind.Added, null, b[j]?.DeepClone()));
            else Walk($"{path}[{j}]", a[i], b[j], changes);
        }
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
}
