using System.Text.Json.Nodes;

namespace KrautCli.Watch;

/// <summary>One object's state as <c>kraut watch</c> reports it.</summary>
public sealed record Seen(string Id, string Name, string Phase);

/// <summary>
/// What changed between two polls of a list: objects that appeared, changed phase or name, or went away (their phase
/// reported as "deleted"). Keyed by id, so a rename is a change and two objects of one name stay apart.
/// </summary>
public sealed class Changes
{
    public const string Deleted = "deleted";

    private Dictionary<string, Seen> _last = new(StringComparer.Ordinal);

    /// <summary>The objects now listed, in the list's order.</summary>
    public IReadOnlyList<Seen> Current { get; private set; } = [];

    /// <summary>Takes the new list and returns what differs from the one before (on the first call: every object).</summary>
    public IReadOnlyList<Seen> Next(IEnumerable<JsonNode?> items)
    {
        var current = items.OfType<JsonObject>()
            .Select(i => new Seen((string?)i["id"] ?? "", (string?)i["name"] ?? "", (string?)i["status"]?["phase"] ?? "-"))
            .ToList();
        var now = current.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var changed = current.Where(s => !_last.TryGetValue(s.Id, out var before) || before != s).ToList();
        changed.AddRange(_last.Values.Where(s => !now.ContainsKey(s.Id)).Select(s => s with { Phase = Deleted }));
        _last = now;
        Current = current;
        return changed;
    }
}
