using System.Text.Json.Nodes;
using KrautPortal.Features.Api;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Vms;

public sealed record AddNicRequest(Guid NetworkId, string? Mac);

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
        group.MapDelete("/{id}/nics/{nicId}", RemoveNic).WithName("RemoveVmNic").WithSummary("Remove a NIC; hot-unplugged when the VM runs.");
    }

    public static async Task<Accepted<Resource<VmSpec, VmStatus>>> Act(VmOperations ops, string id, string action, HttpContext http, CancellationToken ct)
    {
        var vm = await ops.ActAsync(ApiIds.Parse(id), action, ETags.ExpectedVersion(http.Request), ct);
        http.Response.Headers.ETag = ETags.For(vm.Version);
        return TypedResults.Accepted($"/api/v1/vms/{vm.Id}", vm);
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
            if (key is not ("networkId" or "mac")) errors.Add(key, "This field is not known; send networkId and optionally mac.");
        Guid networkId = default;
        if (body["networkId"] is not JsonValue n || !n.TryGetValue<string>(out var raw) || !Guid.TryParse(raw, out networkId))
            errors.Add("networkId", "Give the id of the network to connect to.");
        string? mac = null;
        if (body["mac"] is JsonValue m && !m.TryGetValue(out mac)) errors.Add("mac", "The MAC must be a string like 52:54:00:12:34:56.");
        errors.ThrowIfAny();
        var nic = await ops.AddNicAsync(guid, networkId, mac, ETags.ExpectedVersion(http.Request), ct);
        return TypedResults.Created($"/api/v1/vms/{guid}/nics/{nic.Id}", nic);
    }

    public static async Task<NoContent> RemoveNic(VmOperations ops, string id, string nicId, HttpContext http, CancellationToken ct)
    {
        await ops.RemoveNicAsync(ApiIds.Parse(id), ApiIds.Parse(nicId, "NIC id"), ETags.ExpectedVersion(http.Request), ct);
        return TypedResults.NoContent();
    }
}
