using System.Text.Json.Nodes;
using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Vms;

/// <summary>
/// Marks a VM as a network's router: metadata <c>{"kraut-router": "&lt;router id&gt;"}</c> on a system VM (only Kraut makes
/// those, so a user's VM with the same metadata is an ordinary VM). Its NIC order is fixed: <see cref="UpstreamNic"/> is
/// the upstream leg (eth0 in the guest), <see cref="RoutedNic"/> the leg on the network it routes (eth1).
/// </summary>
public static class RouterVmMarker
{
    public const string Key = "kraut-router";

    /// <summary>The virtio-serial channel the router's agent listens on (see <c>KrautPaths.RouterAgentSocketFor</c>).</summary>
    public const string AgentChannel = "org.kraut.agent";

    public const int UpstreamNic = 0;
    public const int RoutedNic = 1;

    /// <summary>The metadata a router VM is created with.</summary>
    public static JsonObject Metadata(Guid routerId) => new() { [Key] = routerId.ToString("D") };

    /// <summary>The router id the metadata names, or null when it names none (or not a valid id).</summary>
    public static Guid? RouterIdOf(JsonObject? metadata) =>
        metadata?[Key] is JsonValue value && value.TryGetValue<string>(out var text) && Guid.TryParse(text, out var id) ? id : null;

    /// <summary>The router id of a system VM carrying the marker; null for every other VM.</summary>
    public static Guid? RouterIdOf(Resource<VmSpec, VmStatus> vm) => vm.System ? RouterIdOf(vm.Metadata) : null;

    public static bool IsRouterVm(Resource<VmSpec, VmStatus> vm) => RouterIdOf(vm) is not null;

    /// <summary>Every router VM: system VMs whose metadata names the key (narrowed in SQL), checked on the parsed metadata.</summary>
    public static async Task<IReadOnlyList<Resource<VmSpec, VmStatus>>> AllAsync(KindReader reader, CancellationToken ct)
    {
        var needle = "%\"" + Key + "\"%";
        return (await reader.AllAsync<VmSpec, VmStatus>(Kinds.Vms, ct, r => r.IsSystem && EF.Functions.Like(r.Metadata, needle)))
            .Where(IsRouterVm).ToList();
    }

    /// <summary>The NIC a router VM routes <paramref name="networkId"/> with (its <see cref="RoutedNic"/>), or null.</summary>
    public static VmNic? RoutedNicOn(Resource<VmSpec, VmStatus> vm, Guid networkId) =>
        IsRouterVm(vm) && vm.Spec.Nics.Count > RoutedNic && vm.Spec.Nics[RoutedNic].NetworkId == networkId ? vm.Spec.Nics[RoutedNic] : null;

    /// <summary>The leg of the router that routes <paramref name="networkId"/> and is not being deleted, or null when none does.</summary>
    public static async Task<VmNic?> RouterNicOnAsync(KindReader reader, Guid networkId, CancellationToken ct) =>
        (await AllAsync(reader, ct)).Where(vm => vm.DeletionRequestedAt is null)
            .Select(vm => RoutedNicOn(vm, networkId)).FirstOrDefault(n => n is not null);
}
