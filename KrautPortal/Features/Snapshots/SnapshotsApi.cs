using System.Text.Json.Nodes;
using KrautPortal.Features.Api;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Snapshots;

/// <summary>Body of <c>POST /api/v1/vms/{id}/snapshots</c>.</summary>
public sealed record TakeSnapshotRequest(string Name, string? Description, bool? IncludeMemory, JsonObject? Metadata);

/// <summary>
/// The snapshots kind's own endpoints (<c>/api/v1/snapshots</c>: list by selector, get, delete, history…) and a VM's
/// snapshots under <c>/api/v1/vms/{id}/snapshots</c>, which answer as a GET of the VM would (another tenant's: 404).
/// </summary>
public static class SnapshotsApi
{
    public static void MapSnapshots(this IEndpointRouteBuilder app)
    {
        app.MapResourceApi<SnapshotSpec, SnapshotStatus>(Kinds.Snapshots);
        var vms = app.MapGroup("/api/v1/vms").WithTags(Kinds.Snapshots.Plural);
        vms.MapGet("/{id}/snapshots", ListAsync).WithName("ListVmSnapshots")
            .WithSummary("The VM's snapshots (parentId makes the tree), and whether a new one is offered now (reason: why not).");
        vms.MapPost("/{id}/snapshots", TakeAsync).WithName("TakeVmSnapshot").Accepts<TakeSnapshotRequest>("application/json")
            .WithSummary("Take a snapshot: name, description, includeMemory (default: when the VM runs). 409 naming the reason when the VM "
                + "or its host cannot (UEFI firmware, host unreachable, VM busy). Returns at once; watch status.phase.");
        vms.MapPost("/{id}/snapshots/{snapshotId}/revert", RevertAsync).WithName("RevertVmToSnapshot")
            .WithSummary("Put the VM back to the snapshot: its disk, and with memory its running state; what changed since is lost. "
                + "Recorded at once (spec.revertGeneration), carried out by the reconciler; watch status.observedRevertGeneration.");
    }

    public static async Task<Ok<VmSnapshots>> ListAsync(SnapshotOperations ops, string id, CancellationToken ct) =>
        TypedResults.Ok(await ops.ListAsync(ApiIds.Parse(id), ct));

    public static async Task<Created<Resource<SnapshotSpec, SnapshotStatus>>> TakeAsync(SnapshotOperations ops, string id, HttpContext http, CancellationToken ct)
    {
        var vmId = ApiIds.Parse(id);
        var body = await JsonBodyReader.ReadObjectAsync(http.Request, ct);
        var errors = new ValidationErrors();
        foreach (var (key, _) in body)
            if (key is not ("name" or "description" or "includeMemory" or "metadata"))
                errors.Add(key, "This field is not known; send name and optionally description, includeMemory and metadata.");
        var name = body["name"] is JsonValue n && n.TryGetValue<string>(out var text) ? text : null;
        if (name is null) errors.Add("name", "Give the snapshot a name (a string).");
        string? description = null;
        if (body["description"] is JsonValue d && d.TryGetValue<string>(out var given)) description = given;
        else if (body["description"] is not null) errors.Add("description", "The description must be a string.");
        bool? memory = null;
        if (body["includeMemory"] is JsonValue m && m.TryGetValue<bool>(out var include)) memory = include;
        else if (body["includeMemory"] is not null) errors.Add("includeMemory", "includeMemory must be true or false.");
        JsonObject? metadata = null;
        if (body["metadata"] is JsonObject labels) metadata = (JsonObject)labels.DeepClone();
        else if (body["metadata"] is not null) errors.Add("metadata", "Metadata must be an object of labels.");
        errors.ThrowIfAny();
        var created = await ops.TakeAsync(vmId, name!, description, memory, metadata, ct);
        http.Response.Headers.ETag = ETags.For(created.Version);
        return TypedResults.Created($"/api/v1/snapshots/{created.Id}", created);
    }

    public static async Task<Accepted<Resource<SnapshotSpec, SnapshotStatus>>> RevertAsync(SnapshotOperations ops, string id, string snapshotId, HttpContext http,
        CancellationToken ct)
    {
        var snapshot = await ops.RevertAsync(ApiIds.Parse(id), ApiIds.Parse(snapshotId, "snapshot id"), ETags.ExpectedVersion(http.Request), ct);
        http.Response.Headers.ETag = ETags.For(snapshot.Version);
        return TypedResults.Accepted($"/api/v1/snapshots/{snapshot.Id}", snapshot);
    }
}
