namespace KrautPortal.Hypervisor;

/// <summary>Which libvirt domain type to use on this host ("kvm" or "qemu"), and why.</summary>
/// <param name="ProbeRan">True when a kernel was actually booted under KVM to decide.</param>
public sealed record AccelerationDecision(string DomainType, string Reason, bool ProbeRan)
{
    public bool IsKvm => DomainType == "kvm";
}
