using System.Text.Json.Nodes;
using KrautPortal.Features.Api;
using KrautPortal.Features.Scheduling;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Vms;

public sealed record AddNicRequest(Guid NetworkId, string? Mac, string? Ipv4Address, string? Ipv6Address);

/// <summary>VM endpoints beyond the shared ones: power actions (single and by selector) and NICs.</summary>
public static class VmsApi
{
    public static void MapVms(this IEndpointRouteBuilder app)
    {
        var group = app.MapResourceApi<VmSpec, VmStatus>(Kinds.Vms);
        group.MapPost("/{id}/actions/{action}", Act).WithName("ActOnVm")
            .WithSummary("start, stop (ACPI, then forced after a timeout), reboot or force-off. Returns at once; watch status.phase.");
        group.MapPost("/actions/{action}", ActOnSelector).WithName("ActOnVmsBySelector")
            .WithSummary("Apply an action to every VM the selector matches; reports per VM.");
        group.MapGet("/{id}/nics", ListNics).WithName("ListVmNics");
        group.MapPost("/{id}/nics", AddNic).WithName("AddVmNic").WithSummary("Add a NIC; hot-plugged when the VM runs.").Accepts<AddNicRequest>("application/json");
        group.MapPost("/placement-preview", PlacementPreview).WithName("PreviewVmPlacement")
            .WithSummary("Dry run of a create (same body, same checks and authorization): the host the VM would be placed on now, "
                + "and for every host the filter that refuses it (with the numbers) or its score. Nothing is stored.")
            .Accepts<ResourceInput<VmSpec>>("application/json");
        group.MapVmMoves();
        group.MapDelete("/{id}/nics/{nicId}", RemoveNic).WithName("RemoveVmNic").WithSummary("Remove a NIC; hot-unplugged when the VM runs.");
    }

    public static async Task<Accepted<Resource<VmSpec, VmStatus>>> Act(VmOperations ops, string id, string action, HttpContext http, CancellationToken ct)
    {
        var vm = await ops.ActAsync(ApiIds.Parse(id), action, ETags.ExpectedVersion(http.Request), ct);
        http.Response.Headers.ETag = ETags.For(vm.Version);
        return TypedResults.Accepted($"/api/v1/vms/{vm.Id}", vm);
    }

    public static async Task<Ok<PlacementDecision>> PlacementPreview(ResourceService<VmSpec, VmStatus> vms, VmScheduling scheduling, Auth.IActorAccessor actors,
        HttpContext http, CancellationToken ct)
    {
        var input = RequestBody.ToInput<VmSpec>(await JsonBodyReader.ReadObjectAsync(http.Request, ct));
        var spec = await vms.PrepareCreateAsync(input, ct);
        return TypedResults.Ok(await scheduling.DecideAsync(null, spec, input.Metadata, actors.Current, ct));
    }

    public static async Task<Ok<IReadOnlyList<BulkActionResult>>> ActOnSelector(VmOperations ops, string action, string? selector, CancellationToken ct) =>
        TypedResults.Ok(await ops.ActOnSelectorAsync(selector, action, ct));

    public static async Task<Ok<IReadOnlyList<VmNic>>> ListNics(ResourceService<VmSpec, VmStatus> vms, string id, CancellationToken ct) =>
        TypedResults.Ok((await vms.GetAsync(ApiIds.Parse(id), ct)).Spec.Nics);

    public static async Task<Created<VmNic>> AddNic(VmOperations ops, string id, HttpContext http, CancellationToken ct)
    {
        var guid = ApiIds.Parse(id);
        var body = await JsonBodyReader.ReadObjectAsync(http.Request, ct);
        var errors = new ValidationErrors();
        foreach (var (key, _) in body)
            if (key is not ("networkId" or "mac" or "ipv4Address" or "ipv6Address"))
                errors.Add(key, "This field is not known; send networkId and optionally mac, ipv4Address and ipv6Address.");
        Guid networkId = default;
        if (body["networkId"] is not JsonValue n || !n.TryGetValue<string>(out var raw) || !Guid.TryParse(raw, out networkId))
            errors.Add("networkId", "Give the id of the network to connect to.");
        var mac = OptionalString(body, "mac", "The MAC must be a string like 52:54:00:12:34:56.", errors);
        var ipv4 = OptionalString(body, "ipv4Address", "The IPv4 address must be a string like 10.20.0.15 (no prefix).", errors);
        var ipv6 = OptionalString(body, "ipv6Address", "The IPv6 address must be a string like fd00:20::15 (no prefix).", errors);
        errors.ThrowIfAny();
        var nic = await ops.AddNicAsync(guid, new VmNic { NetworkId = networkId, Mac = mac, Ipv4Address = ipv4, Ipv6Address = ipv6 },
            ETags.ExpectedVersion(http.Request), ct);
        return TypedResults.Created($"/api/v1/vms/{guid}/nics/{nic.Id}", nic);
    }

    private static string? OptionalString(JsonObject body, string key, string problem, ValidationErrors errors)
    {
        if (body[key] is null) return null;
        if (body[key] is JsonValue v && v.TryGetValue<string>(out var text)) return text;
        errors.Add(key, problem);
        return null;
    }

    public static async Task<NoContent> RemoveNic(VmOperations ops, string id, string nicId, HttpContext http, CancellationToken ct)
    {
        await ops.RemoveNicAsync(ApiIds.Parse(id), ApiIds.Parse(nicId, "NIC id"), ETags.ExpectedVersion(http.Request), ct);
        return TypedResults.NoContent();
    }
}
