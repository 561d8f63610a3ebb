using KrautPortal.Features.Store;

namespace KrautPortal.Features.Vms;

/// <summary>
/// A VM's status through one reconcile (the shared <see cref="StatusWriter{TStatus}"/>). <c>ObservedAt</c> alone is not
/// a change: a poll that saw nothing new writes nothing, so quiet VMs cost no database writes and open pages no refreshes.
/// </summary>
public sealed class StatusWriter(ResourceStore store, Guid id, VmStatus initial)
    : StatusWriter<VmStatus>(store, Kinds.Vms, id, initial, (next, current) => next with { ObservedAt = current.ObservedAt } == current);
