using System.Text.Json.Nodes;

namespace KrautPortal.Features.Store;

/// <summary>A stored object with its kind's typed spec and status: what the API returns for every kind.</summary>
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
    DateTime? DeletionRequestedAt)
{
    public static Resource<TSpec, TStatus> FromRow(ResourceRow row) => new(
        row.Id, row.Kind, row.Name, row.Owner,
        KrautJson.ParseObject(row.Metadata),
        KrautJson.Deserialize<TSpec>(row.Spec),
        KrautJson.Deserialize<TStatus>(row.Status),
        row.Version, row.CreatedAt, row.UpdatedAt, row.DeletionRequestedAt);
}

/// <summary>The part of an object a person edits and history keeps: everything except observed status.</summary>
public sealed record Snapshot(string Name, string Owner, JsonObject Metadata, JsonNode Spec)
{
    public static Snapshot FromRow(ResourceRow row) =>
        new(row.Name, row.Owner, KrautJson.ParseObject(row.Metadata), JsonNode.Parse(row.Spec) ?? new JsonObject());
}

public sealed record Page<T>(IReadOnlyList<T> Items, string? Continue);

public sealed record HistoryEntry(long Version, DateTime ChangedAt, string ChangedBy, string Change);

public sealed record HistoryVersion(long Version, DateTime ChangedAt, string ChangedBy, string Change, Snapshot Snapshot);
