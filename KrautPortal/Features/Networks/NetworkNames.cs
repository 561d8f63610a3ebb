using KrautPortal.Features.Reconciling;

namespace KrautPortal.Features.Networks;

public static class NetworkNames
{
    /// <summary>The libvirt network for a Kraut network: instance and id, never the user's name.</summary>
    public static string LibvirtName(KrautInstance instance, Guid networkId) => $"kraut-{instance.ShortId}-{networkId:N}";
}
