using System.Text.Json.Nodes;
using KrautPortal.Features.Api;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Vms;

/// <summary>Body of <c>POST /api/v1/vms/{id}/move</c>: the target host's id or URI; absent: the scheduler chooses another host.</summary>
public sealed record MoveVmRequest(string? Host);

/// <summary><c>POST /api/v1/vms/{id}/move</c> (administrators only): records the move; <c>status.move</c> shows its progress.</summary>
public static class VmMoveApi
{
    public static void MapVmMoves(this RouteGroupBuilder group) =>
        group.MapPost("/{id}/move", MoveAsync).WithName("MoveVm").Accepts<MoveVmRequest>("application/json")
            .WithSummary("Move the VM to another host (administrators only): cold when stopped (its disk is copied), live when running "
                + "and live migration is available, otherwise 409 asking to stop it. Without a host the scheduler chooses one "
                + "other than the current; a refused target is a 409 with the scheduler's reason. Returns at once; watch status.move.");

    public static async Task<Accepted<Resource<VmSpec, VmStatus>>> MoveAsync(VmMoves moves, Auth.IActorAccessor actors, string id, HttpContext http,
        CancellationToken ct)
    {
        var actor = actors.Current;
        if (!actor.IsAdmin) throw new ForbiddenException("Only administrators may move a VM between hosts: it decides where every tenant's VMs run.");
        var guid = ApiIds.Parse(id);
        string? host = null;
        if (http.Request.ContentLength is not 0 && http.Request.HasJsonContentType())
        {
            var body = await JsonBodyReader.ReadObjectAsync(http.Request, ct);
            var errors = new ValidationErrors();
            foreach (var (key, _) in body)
                if (key != "host") errors.Add(key, "This field is not known; send only host (a host id or URI), or nothing to let the scheduler choose.");
            if (body["host"] is JsonValue v && v.TryGetValue<string>(out var text)) host = text;
            else if (body["host"] is not null) errors.Add("host", "Give the host's id (GET /api/v1/hosts) or its URI as a string.");
            errors.ThrowIfAny();
        }
        var vm = await moves.RequestAsync(guid, host, actor, ct);
        http.Response.Headers.ETag = ETags.For(vm.Version);
        return TypedResults.Accepted($"/api/v1/vms/{vm.Id}", vm);
    }
}
