using KrautPortal.Features.Store;

namespace KrautPortal.Components.Shared;

/// <summary>Rows are re-read on every refresh; a selection follows the id, not the object instance.</summary>
public sealed class ResourceById<TSpec, TStatus> : IEqualityComparer<Resource<TSpec, TStatus>>
{
    public static readonly ResourceById<TSpec, TStatus> Instance = new();
    public bool Equals(Resource<TSpec, TStatus>? x, Resource<TSpec, TStatus>? y) => x?.Id == y?.Id;
    public int GetHashCode(Resource<TSpec, TStatus> obj) => obj.Id.GetHashCode();
}

/// <summary>What a list's selection actions may act on: the ticked rows, or everything the selector matches.</summary>
public sealed record ListSelection<TSpec, TStatus>(IReadOnlyList<Resource<TSpec, TStatus>> Items, string? Selector, int Total);
