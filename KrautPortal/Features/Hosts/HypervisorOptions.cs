namespace KrautPortal.Features.Hosts;

/// <summary>The <c>Kraut</c> configuration section.</summary>
public sealed class KrautOptions
{
    /// <summary>Libvirt URIs. Empty: <c>qemu:///system</c> when libvirtd answers, else the demo host <c>test:///default</c>.</summary>
    public List<string> Hosts { get; set; } = [];

    /// <summary><c>auto</c> (probe whether KVM really works), <c>kvm</c> or <c>qemu</c>.</summary>
    public string DomainType { get; set; } = "auto";

    /// <summary>A kernel the KVM probe boots; defaults to the test guest's kernel, then /boot's newest.</summary>
    public string? ProbeKernel { get; set; }

    /// <summary>
    /// Whether VMs of an architecture a host can only emulate (aarch64 on an x86_64 host: QEMU's TCG, many times slower)
    /// may be placed there. False: such a create is refused with a sentence saying how to allow it.
    /// </summary>
    public bool AllowEmulation { get; set; }

    /// <summary>How long a guest gets to shut down after the ACPI request before power is cut.</summary>
    public int StopTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// On every host that is not this machine: the directory under which Kraut's storage pool keeps VM disks, seeds,
    /// base images and console logs (one subdirectory per Kraut instance). Default /var/lib/kraut.
    /// </summary>
    public string? HostDataDirectory { get; set; }
}
