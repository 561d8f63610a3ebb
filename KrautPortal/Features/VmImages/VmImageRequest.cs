using System.Text.Json.Nodes;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.VmImages;

/// <summary>
/// The body of <c>POST /api/v1/vms/{id}/image</c>: the new image's name, and optionally its description, metadata, and
/// the id of an internal snapshot of the VM's disk to make it from (absent: the disk as it is, of a stopped VM).
/// </summary>
public sealed record VmImageRequest(string Name, string? Description, JsonObject Metadata, Guid? SnapshotId)
{
    public const int MaxDescriptionLength = 1000;

    /// <summary>Reads and checks the body; every problem is named by its field (422).</summary>
    public static VmImageRequest Read(JsonObject body)
    {
        var errors = new ValidationErrors();
        foreach (var (key, _) in body)
            if (key is not ("name" or "description" or "metadata" or "snapshotId"))
                errors.Add(key, $"'{key}' is not a field here; send name, and optionally description, metadata and snapshotId.");

        string? name = null;
        if (body["name"] is JsonValue n && n.TryGetValue<string>(out var text)) name = text;
        else errors.Add("name", body.ContainsKey("name") ? "The name must be a string." : "A name for the new image is required.");
        if (name is not null && ResourceNames.Problem(name) is { } problem) errors.Add("name", problem);

        string? description = null;
        if (body["description"] is JsonValue d && d.TryGetValue<string>(out var said)) description = said;
        else if (body["description"] is not null) errors.Add("description", "The description must be a string.");
        if (description is { Length: > MaxDescriptionLength }) errors.Add("description", $"At most {MaxDescriptionLength} characters.");

        var metadata = new JsonObject();
        if (body["metadata"] is JsonObject m) metadata = (JsonObject)m.DeepClone();
        else if (body["metadata"] is not null) errors.Add("metadata", "Metadata must be a JSON object (any keys, any values).");

        Guid? snapshotId = null;
        if (body["snapshotId"] is JsonValue s && s.TryGetValue<string>(out var raw) && Guid.TryParse(raw, out var parsed)) snapshotId = parsed;
        else if (body["snapshotId"] is not null) errors.Add("snapshotId", "Give the id of one of the VM's snapshots, or leave it out to use the stopped VM's disk.");

        errors.ThrowIfAny();
        return new VmImageRequest(name!, description, metadata, snapshotId);
    }
}
