namespace KrautPortal.Hypervisor;

/// <summary>A disk or CD-ROM of a domain. Format is qcow2 or raw; Bus is virtio, sata, scsi or ide.</summary>
public sealed record DiskDefinition(string Path, string Format, string TargetDev, string Bus, bool IsCdrom = false, bool ReadOnly = false);
