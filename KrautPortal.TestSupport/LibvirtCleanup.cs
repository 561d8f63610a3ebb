using KrautPortal.Hypervisor;

namespace KrautPortal.TestSupport;

/// <summary>Removes the domains, networks and VXLAN links one Kraut instance created on a host.</summary>
public static class LibvirtCleanup
{
    /// <summary>Returns what had to be removed: after a clean run (everything deleted through the API) nothing.</summary>
    public static List<string> RemoveInstance(string uri, string instanceId)
    {
        var removed = new List<string>();
        // On the test driver this finds only what a portal in this same process made: its state lives in the process.
        using (var connection = LibvirtConnection.Open(uri))
        {
            foreach (var domain in connection.ListAllDomains())
            {
                using (domain)
                {
                    if (domain.GetKrautMetadata()?.InstanceId != instanceId) continue;
                    removed.Add("domain " + domain.Name);
                    // The portal being stopped may still stop or remove this domain between the check and the call.
                    IgnoreIfAlreadyGone(() => { if (domain.IsActive) domain.Destroy(); });
                    IgnoreIfAlreadyGone(domain.Undefine);
                }
            }
            foreach (var network in connection.ListAllNetworks())
            {
                using (network)
                {
                    if (!network.Name.StartsWith($"kraut-{instanceId[..8]}-", StringComparison.Ordinal)) continue;
                    removed.Add("network " + network.Name);
                    IgnoreIfAlreadyGone(() => { if (network.IsActive) network.Destroy(); });
                    IgnoreIfAlreadyGone(() => { if (network.IsPersistent) network.Undefine(); });
                }
            }
        }
        // VXLAN links (NetworkVxlan) live outside libvirt, on this machine, named kx + the instance's first 4 characters.
        if (uri.StartsWith("test:", StringComparison.Ordinal)) return removed;
        foreach (var link in VxlanLinks.ListAsync($"kx{instanceId[..4]}", CancellationToken.None).GetAwaiter().GetResult())
        {
            removed.Add("link " + link);
            VxlanLinks.RemoveAsync(link, CancellationToken.None).GetAwaiter().GetResult();
        }
        return removed;
    }

    private static void IgnoreIfAlreadyGone(Action action)
    {
        try
        {
            action();
        }
        catch (LibvirtException e) when (e.IsOperationInvalid || e.IsNoDomain || e.IsNoNetwork)
        {
            // Already stopped or already removed: what this cleanup wanted.
        }
    }
}
