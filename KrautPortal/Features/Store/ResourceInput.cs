using System.Text.Json.Nodes;

namespace KrautPortal.Features.Store;

/// <summary>What a person supplies for an object: the rest (id, version, status) is Kraut's.</summary>
/// <param name="Owner">On create only: one of the creator's groups to own it instead of the creator. Ignored on updates.</param>
public sealed record ResourceInput<TSpec>(string Name, JsonObject Metadata, TSpec Spec, string? Owner = null);
