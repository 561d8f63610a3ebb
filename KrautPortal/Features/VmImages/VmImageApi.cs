using KrautPortal.Features.Api;
using KrautPortal.Features.Images;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.VmImages;

/// <summary>For the API description only: the body is read by hand (<see cref="VmImageRequest.Read"/>).</summary>
public sealed record MakeVmImageBody(string Name, string? Description, System.Text.Json.Nodes.JsonObject? Metadata, Guid? SnapshotId);

/// <summary><c>POST /api/v1/vms/{id}/image</c>: an image made from a VM's disk, or from one of its snapshots.</summary>
public static class VmImageApi
{
    public static void MapVmImages(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/v1/vms/{id}/image", MakeAsync).WithTags("VMs").WithName("MakeImageFromVm").Accepts<MakeVmImageBody>("application/json")
            .WithSummary("A new image, yours, from the VM's disk (the VM must be stopped) or from one of its snapshots (snapshotId; it may run), "
                + "with the attributes of the VM's image. Body: {\"name\": …, \"description\"?, \"metadata\"?, \"snapshotId\"?}. Returns at once "
                + "with the image in phase copying; it then goes through checking and converting to ready like an upload. Watch status.phase.");

    public static async Task<Accepted<Resource<ImageSpec, ImageStatus>>> MakeAsync(VmImageMaker maker, string id, HttpContext http, CancellationToken ct)
    {
        var vmId = ApiIds.Parse(id);
        var request = VmImageRequest.Read(await JsonBodyReader.ReadObjectAsync(http.Request, ct));
        var image = await maker.MakeAsync(vmId, request, ct);
        http.Response.Headers.ETag = ETags.For(image.Version);
        return TypedResults.Accepted($"/api/v1/images/{image.Id}", image);
    }
}
