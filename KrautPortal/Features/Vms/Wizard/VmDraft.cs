using System.Text.Json.Nodes;
using KrautPortal.Features.Images;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Vms.Wizard;

/// <summary>What the create-VM wizard has collected so far; each step edits its part.</summary>
public sealed class VmDraft
{
    public Resource<ImageSpec, ImageStatus>? Image { get; set; }
    public List<Guid> NetworkIds { get; set; } = [];

    /// <summary>Addresses asked for per network (one NIC each); a network missing here gets its next free address from IPAM.</summary>
    public Dictionary<Guid, string> Ipv4Addresses { get; set; } = [];
    public Resource<MachineTypeSpec, MachineTypeStatus>? MachineType { get; set; }
    public int Vcpus { get; set; }
    public int MemoryMiB { get; set; }
    public string Name { get; set; } = "";
    public JsonObject Metadata { get; set; } = new();
    public bool StartAfterCreate { get; set; } = true;

    /// <summary>Empty: Kraut derives it from the name.</summary>
    public string? Hostname { get; set; }

    /// <summary>OpenSSH public keys, one per line; the wizard starts with the user's profile keys.</summary>
    public string SshKeys { get; set; } = "";

    public string? UserData { get; set; }

    /// <summary>What steps of higher features (<see cref="IVmWizardStep"/>) collect, each under its own key.</summary>
    public Dictionary<string, object> Extensions { get; } = [];

    public IReadOnlyList<string> SshKeyLines =>
        SshKeys.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();

    /// <summary>Whether a machine type suits the chosen image (same architecture, enough memory possible).</summary>
    public static bool Fits(Resource<MachineTypeSpec, MachineTypeStatus> type, Resource<ImageSpec, ImageStatus>? image) =>
        image is null || (type.Spec.Architecture == image.Spec.Architecture && type.Spec.MemoryMiB.Max >= image.Spec.MinMemoryMiB);

    public void ChooseMachineType(Resource<MachineTypeSpec, MachineTypeStatus> type)
    {
        MachineType = type;
        Vcpus = type.Spec.Vcpus.Default;
        MemoryMiB = Math.Max(type.Spec.MemoryMiB.Default, Math.Min(Image?.Spec.MinMemoryMiB ?? 0, type.Spec.MemoryMiB.Max));
    }

    public ResourceInput<VmSpec> ToInput() => new(Name.Trim(), (JsonObject)Metadata.DeepClone(), new VmSpec
    {
        ImageId = Image?.Id ?? Guid.Empty,
        MachineTypeId = MachineType?.Id ?? Guid.Empty,
        Vcpus = Vcpus,
        MemoryMiB = MemoryMiB,
        Nics = NetworkIds.Select(id => new VmNic
        {
            NetworkId = id,
            Ipv4Address = Ipv4Addresses.TryGetValue(id, out var address) && !string.IsNullOrWhiteSpace(address) ? address.Trim() : null,
        }).ToList(),
        Power = StartAfterCreate ? PowerState.Running : PowerState.Stopped,
        Hostname = string.IsNullOrWhiteSpace(Hostname) ? null : Hostname.Trim(),
        SshAuthorizedKeys = SshKeyLines,
        UserData = string.IsNullOrWhiteSpace(UserData) ? null : UserData,
    });

    /// <summary>
    /// The same request as JSON, so people can see how to do it through the API. Fields Kraut fills in itself
    /// (NIC ids, the action counters) are left out: a zero NIC id or counter would only confuse whoever copies it.
    /// </summary>
    public string ToApiJson()
    {
        var input = ToInput();
        var spec = KrautJson.ToNode(input.Spec).AsObject();
        spec.Remove("rebootGeneration");
        spec.Remove("forceOffGeneration");
        foreach (var nic in spec["nics"]?.AsArray() ?? [])
        {
            nic?.AsObject().Remove("id");
        }
        var body = new JsonObject
        {
            ["name"] = input.Name,
            ["metadata"] = input.Metadata.DeepClone(),
            ["spec"] = spec,
        };
        return body.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }
}
