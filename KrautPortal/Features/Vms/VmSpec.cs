namespace KrautPortal.Features.Vms;

public enum PowerState { Running, Stopped }

/// <remarks><c>Moving</c>: being copied to another host (see <see cref="VmStatus.Move"/>); <c>Unknown</c>: its host does not answer.</remarks>
public enum VmPhase { Pending, Creating, Starting, Running, Rebooting, Stopping, Stopped, Paused, Crashed, Deleting, Failed, Missing, Moving, Unknown }

/// <summary>A NIC on one network; Kraut picks the id and MAC when they are not given.</summary>
public sealed record VmNic
{
    public Guid Id { get; init; }
    public required Guid NetworkId { get; init; }
    public string? Mac { get; init; }

    /// <summary>
    /// The NIC's IPv4 address on its network (no prefix). Given by the user, or allocated by Kraut's IPAM when empty;
    /// it stays for the NIC's life: a DHCP reservation, or the static address the guest is configured with.
    /// </summary>
    public string? Ipv4Address { get; init; }

    /// <summary>The NIC's IPv6 address for DHCPv6 or static networks (SLAAC addresses follow from the MAC).</summary>
    public string? Ipv6Address { get; init; }
}

/// <summary>
/// An (anti-)affinity rule: a metadata selector (as in list filters, e.g. <c>app=db</c>) over the other VMs. Hard: a
/// filter (never/only on such a host); soft: a weight the scheduler prefers to honour.
/// </summary>
public sealed record VmPlacementRule
{
    public required string Selector { get; init; }
    public bool Hard { get; init; } = true;
}

/// <summary>Where the VM may go relative to other VMs, judged once, when it is placed (at create).</summary>
public sealed record VmPlacement
{
    /// <summary>Rules for VMs it should share a host with.</summary>
    public IReadOnlyList<VmPlacementRule> Affinity { get; init; } = [];

    /// <summary>Rules for VMs it must (hard) or should (soft) not share a host with; a hard one also keeps later VMs it matches away.</summary>
    public IReadOnlyList<VmPlacementRule> AntiAffinity { get; init; } = [];
}

/// <summary>What the user wants a VM to be. The reconciler makes libvirt match it.</summary>
public sealed record VmSpec
{
    public required Guid ImageId { get; init; }
    public required Guid MachineTypeId { get; init; }

    /// <summary>0 means the machine type's default.</summary>
    public int Vcpus { get; init; }

    /// <summary>0 means the machine type's default.</summary>
    public int MemoryMiB { get; init; }

    /// <summary>
    /// The VM's disk in GiB, fixed at creation. 0: the image's size, or for an ISO installer a blank disk of the
    /// image's MinDiskGiB (10 GiB when it names none). Larger than the image grows the disk; smaller is refused.
    /// </summary>
    public int DiskGiB { get; init; }

    public IReadOnlyList<VmNic> Nics { get; init; } = [];
    public PowerState Power { get; init; } = PowerState.Running;

    /// <summary>The guest's host name; empty means one derived from the VM's name.</summary>
    public string? Hostname { get; init; }

    /// <summary>SSH public keys put into the guest by its cloud-init seed (the wizard fills in the owner's profile keys).</summary>
    public IReadOnlyList<string> SshAuthorizedKeys { get; init; } = [];

    /// <summary>cloud-init user-data the user wrote (a <c>#cloud-config</c> document or a script); passed to the guest as is.</summary>
    public string? UserData { get; init; }

    /// <summary>Bumped by the reboot action; the reconciler reboots until its observed count catches up.</summary>
    public long RebootGeneration { get; init; }

    /// <summary>Bumped by the force-off action: power is cut instead of asking the guest.</summary>
    public long ForceOffGeneration { get; init; }

    /// <summary>Affinity and anti-affinity to other VMs, by metadata selector; null: none.</summary>
    public VmPlacement? Placement { get; init; }

    /// <summary>
    /// The host Kraut placed the VM on, chosen by the scheduler in the create's transaction (never sent by the user) and
    /// kept on later writes. Null on VMs made before placement moved to the create: the reconciler places those.
    /// A move (<c>POST /api/v1/vms/{id}/move</c>) sets it to the target; while it differs from <c>status.host</c> the
    /// reconciler moves the VM there.
    /// </summary>
    public string? Host { get; init; }

    /// <summary>
    /// A backup (its id) the VM's disk is made from instead of the image, once, when the VM is created
    /// (<c>POST /api/v1/backups/{id}/restore</c> fills it in). The image still decides firmware and guest settings.
    /// </summary>
    public Guid? RestoreFrom { get; init; }
}

/// <summary>An address seen on a NIC; Source says where (<c>dhcp-lease</c>: a lease of the network's dnsmasq).</summary>
public sealed record VmAddress(string Mac, string Address, string Source);

/// <summary>What the reconciler last saw in libvirt, and what it could not do.</summary>
public sealed record VmStatus
{
    public VmPhase Phase { get; init; } = VmPhase.Pending;
    public string? Host { get; init; }
    public string? DomainName { get; init; }
    public string? DomainType { get; init; }
    public bool DomainDefined { get; init; }
    public long ObservedVersion { get; init; }
    public long ObservedRebootGeneration { get; init; }
    public long ObservedForceOffGeneration { get; init; }
    public DateTime? ShutdownRequestedAt { get; init; }

    /// <summary>When the guest was first asked to reboot; set until libvirt reports it reset (phase <c>rebooting</c>).</summary>
    public DateTime? RebootRequestedAt { get; init; }

    /// <summary>When the guest was last asked (by ACPI): a guest still booting misses the button, so it is pressed again.</summary>
    public DateTime? RebootAskedAt { get; init; }
    public bool RestartRequired { get; init; }
    public IReadOnlyList<VmAddress> Addresses { get; init; } = [];

    /// <summary>Per NIC (by MAC) of a running VM with no address seen yet: since when. Reset when the VM stops.</summary>
    public IReadOnlyDictionary<string, DateTime> UnseenSince { get; init; } = new Dictionary<string, DateTime>();
    public string? Drift { get; init; }
    public string? LastError { get; init; }
    public DateTime? LastErrorAt { get; init; }
    /// <summary>When the reconciler last saw something change.</summary>
    public DateTime? ObservedAt { get; init; }

    /// <summary>A move to another host under way (<c>spec.host</c> differs from <see cref="Host"/>); null otherwise.</summary>
    public VmMove? Move { get; init; }

    /// <summary>The last move that finished: from where, to where, when.</summary>
    public VmMove? LastMove { get; init; }
}
