using KrautPortal.Features.Scheduling;

namespace KrautPortal.Features.Capacity;

/// <summary>The <c>Capacity</c> configuration section: the overcommit ratios the scheduler applies too (see <see cref="OvercommitOptions"/>).</summary>
public sealed class CapacityOptions : OvercommitOptions;
