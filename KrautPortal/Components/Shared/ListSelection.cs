using KrautPortal.Features.Store;

namespace KrautPortal.Components.Shared;

/// <summary>
/// What a list's selection actions may act on: the ticked rows, or everything the selector matches.
/// <paramref name="FilterValid"/> is false while the typed selector does not parse: then nothing may be acted on.
/// </summary>
public sealed record ListSelection<TSpec, TStatus>(IReadOnlyList<Resource<TSpec, TStatus>> Items, string? Selector, int Total, bool FilterValid = true);
