using System.Xml.Linq;
using KrautPortal.Hypervisor;

namespace KrautPortal.Tests.Backups;

/// <summary>The backup and checkpoint documents: only the VM's disk is backed up and gets a bitmap; the CD-ROMs are named and left out.</summary>
public sealed class DomainBackupXmlTests
{
    private const string Domain = """
        <domain type='kvm'><name>kraut-x</name><devices>
          <disk type='file' device='disk'><source file='/d/x.qcow2'/><target dev='vda' bus='virtio'/></disk>
          <disk type='file' device='cdrom'><source file='/d/x.iso'/><target dev='sda' bus='scsi'/><readonly/></disk>
        </devices></domain>
        """;

    [Fact]
    public void IncrementalBackup_NamesItsCheckpoint_TargetsOneQcow2_AndLeavesTheCdromOut()
    {
        var backup = XElement.Parse(DomainBackupXml.Backup(Domain, "vda", "/data/backups/v/b.qcow2", "kraut-backup-1"));

        Assert.Equal("push", (string?)backup.Attribute("mode"));
        Assert.Equal("kraut-backup-1", (string?)backup.Element("incremental"));
        var disks = backup.Element("disks")!.Elements("disk").ToDictionary(d => (string)d.Attribute("name")!);
        Assert.Equal("yes", (string?)disks["vda"].Attribute("backup"));
        Assert.Equal("/data/backups/v/b.qcow2", (string?)disks["vda"].Element("target")!.Attribute("file"));
        Assert.Equal("qcow2", (string?)disks["vda"].Element("driver")!.Attribute("type"));
        Assert.Equal("no", (string?)disks["sda"].Attribute("backup"));
        Assert.Equal("/data/backups/v/b.qcow2", DomainBackupXml.TargetFileOf(backup.ToString(), "vda"));
    }

    [Fact]
    public void FullBackup_HasNoIncremental_AndTheCheckpointHasABitmapOnTheDiskOnly()
    {
        Assert.Null(XElement.Parse(DomainBackupXml.Backup(Domain, "vda", "/b.qcow2", null)).Element("incremental"));
        var checkpoint = XElement.Parse(DomainBackupXml.Checkpoint(Domain, "kraut-backup-2", "vda"));
        Assert.Equal("kraut-backup-2", (string?)checkpoint.Element("name"));
        var disks = checkpoint.Element("disks")!.Elements("disk").ToDictionary(d => (string)d.Attribute("name")!, d => (string)d.Attribute("checkpoint")!);
        Assert.Equal(new Dictionary<string, string> { ["vda"] = "bitmap", ["sda"] = "no" }, disks);
    }
}
