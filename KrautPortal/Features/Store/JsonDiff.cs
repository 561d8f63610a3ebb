using System.Text.Json.Nodes;

namespace KrautPortal.Features.Store;

public enum JsonChangeKind { Added, Removed, Changed }

/// <summary>One difference between two JSON documents, at a path like <c>spec.nics[1].networkId</c>.</summary>
public sealed record JsonChange(string Path, JsonChangeKind Kind, JsonNode? From, JsonNode? To);

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

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
}
