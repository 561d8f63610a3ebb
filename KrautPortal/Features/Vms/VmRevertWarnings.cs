namespace KrautPortal.Features.Vms;

/// <summary>Says in plain words what making a VM's spec equal to an old one does to the machine itself.</summary>
public static class VmRevertWarnings
{
    public static IReadOnlyList<string> Describe(VmSpec current, VmSpec target, bool running, Func<Guid, string> networkName)
    {
        var warnings = new List<string>();
        if (current.Power == PowerState.Running && target.Power == PowerState.Stopped)
            warnings.Add("The VM will be stopped: the guest is asked to shut down, and its power is cut if it has not within the stop timeout.");
        else if (current.Power == PowerState.Stopped && target.Power == PowerState.Running)
            warnings.Add("The VM will be started.");

        var stillRunning = running && target.Power == PowerState.Running;
        foreach (var nic in current.Nics.Where(n => target.Nics.All(t => t.Id != n.Id)))
        {
            var addresses = Addresses(nic);
            warnings.Add($"NIC {nic.Mac} on network {networkName(nic.NetworkId)} will be removed" +
                (stillRunning ? " (unplugged from the running guest)" : "") +
                (addresses.Length > 0 ? $"; its address {addresses} is released and another NIC may take it." : "."));
        }
        foreach (var nic in target.Nics.Where(n => current.Nics.All(c => c.Id != n.Id)))
        {
            var addresses = Addresses(nic);
            warnings.Add($"NIC {nic.Mac} on network {networkName(nic.NetworkId)} will be added back" +
                (stillRunning ? " (plugged into the running guest)" : "") +
                (addresses.Length > 0 ? $" with its former address {addresses}; the revert is refused if another NIC holds it now." : "."));
        }

        var size = new List<string>();
        if (current.Vcpus != target.Vcpus) size.Add($"vCPUs {current.Vcpus} → {target.Vcpus}");
        if (current.MemoryMiB != target.MemoryMiB) size.Add($"memory {current.MemoryMiB} → {target.MemoryMiB} MiB");
        if (current.MachineTypeId != target.MachineTypeId) size.Add("another machine type");
        if (size.Count > 0)
            warnings.Add($"The size changes ({string.Join(", ", size)})" + (running ? "; a running VM gets it when it is stopped and started again." : "."));

        var seed = new List<string>();
        if (current.Hostname != target.Hostname) seed.Add("host name");
        if (!current.SshAuthorizedKeys.SequenceEqual(target.SshAuthorizedKeys)) seed.Add("SSH keys");
        if (current.UserData != target.UserData) seed.Add("user-data");
        if (seed.Count > 0)
            warnings.Add($"The guest's cloud-init settings change ({string.Join(", ", seed)}); the guest reads them at its next boot.");
        return warnings;
    }

    private static string Addresses(VmNic nic) => string.Join(" and ", new[] { nic.Ipv4Address, nic.Ipv6Address }.OfType<string>());
}
