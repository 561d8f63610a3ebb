using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace KrautPortal.Features.Store;

/// <summary>A stored object with its kind's typed spec and status: what the API returns for every kind.</summary>
/// <param name="System">
/// A system object Kraut keeps on its owner's behalf (a network's router VM): only administrators see it, and only Kraut
/// changes it. Written only when true, so objects people make look as they always did.
/// </param>
public sealed record Resource<TSpec, TStatus>(
    Guid Id,
    string Kind,
    string Name,
    string Owner,
    JsonObject Metadata,
    TSpec Spec,
    TStatus Status,
    long Version,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    DateTime? DeletionRequestedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool System = false)
{
    public static Resource<TSpec, TStatus> FromRow(ResourceRow row) => new(
        row.Id, row.Kind, row.Name, row.Owner,
        KrautJson.ParseObject(row.Metadata),
        KrautJson.Deserialize<TSpec>(row.Spec),
        KrautJson.Deserialize<TStatus>(row.Status),
        row.Version, row.CreatedAt, row.UpdatedAt, row.DeletionRequestedAt, row.IsSystem);
}

/// <summary>The part of an object a person edits and history keeps: everything except observed status.</summary>
/// <param name="System">Kept so the history of a deleted system object stays as hidden as the object was; written only when true.</param>
public sealed record Snapshot(string Name, string Owner, JsonObject Metadata, JsonNode Spec,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool System = false)
{
    public static Snapshot FromRow(ResourceRow row) =>
        new(row.Name, row.Owner, KrautJson.ParseObject(row.Metadata), JsonNode.Parse(row.Spec) ?? new JsonObject(), row.IsSystem);
}

public sealed record Page<T>(IReadOnlyList<T> Items, string? Continue);

public sealed record HistoryEntry(long Version, DateTime ChangedAt, string ChangedBy, string Change);

public sealed record HistoryVersion(long Version, DateTime ChangedAt, string ChangedBy, string Change, Snapshot Snapshot);
