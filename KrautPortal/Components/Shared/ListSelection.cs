using KrautPortal.Features.Store;

namespace KrautPortal.Components.Shared;

/// <summary>What a list's selection actions may act on: the ticked rows, or everything the selector matches.</summary>
public sealed record ListSelection<TSpec, TStatus>(IReadOnlyList<Resource<TSpec, TStatus>> Items, string? Selector, int Total);
