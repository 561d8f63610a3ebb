using System.Text.Json.Nodes;

namespace KrautPortal.Features.Store;

/// <summary>What a person supplies for an object: the rest (id, owner, version, status) is Kraut's.</summary>
public sealed record ResourceInput<TSpec>(string Name, JsonObject Metadata, TSpec Spec);
