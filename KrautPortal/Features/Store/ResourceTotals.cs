namespace KrautPortal.Features.Store;

/// <summary>
/// A number summed over objects (<see cref="ResourceStore.TotalsAsync"/>): the number at <paramref name="Path"/> (a JSON path
/// such as <c>$.vcpus</c>) of each object's spec, or of its status when <paramref name="InStatus"/>, times <paramref name="Factor"/>.
/// Where that number is 0 or absent and <paramref name="Fallback"/> is set, the referenced object's number counts instead.
/// </summary>
public sealed record JsonFigure(string Path, long Factor = 1, bool InStatus = false, JsonFallback? Fallback = null);

/// <summary>
/// The number at <paramref name="StatusPath"/> of the status of the <paramref name="Kind"/> object whose id is at
/// <paramref name="IdPath"/> of the spec (a VM's disk "as large as its image").
/// </summary>
public sealed record JsonFallback(string IdPath, string Kind, string StatusPath);

/// <summary>How many objects there are (system objects not counted), and each figure's sum in the order asked.</summary>
public sealed record ResourceTotals(long Count, IReadOnlyList<long> Sums);
