namespace KrautPortal.Features.Failures;

/// <summary>Something that went wrong and has not been put right: what, whose, why, since when, and where to look.</summary>
/// <param name="Kind">The object's kind (<c>vms</c>, <c>images</c>, …), or <c>hosts</c>.</param>
/// <param name="Id">The object's id; null for a host.</param>
/// <param name="Owner">Whose object it is; null for a host.</param>
/// <param name="Source">What says so: <c>status</c> (the object's own status), <c>reconcile</c> (its reconciler's last pass) or <c>host</c>.</param>
/// <param name="Link">The portal path of the object (or of the hosts' page), relative to the portal's base.</param>
public sealed record Failure(string Kind, Guid? Id, string Name, string? Owner, string Source, string Message, DateTime Since, string? Link);
