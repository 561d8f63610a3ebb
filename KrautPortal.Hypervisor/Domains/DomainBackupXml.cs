using System.Xml.Linq;

namespace KrautPortal.Hypervisor;

/// <summary>
/// The &lt;domainbackup&gt; and &lt;domaincheckpoint&gt; documents of a push-mode backup of one disk. Every other disk of
/// the domain (the cloud-init seed and installer CD-ROMs) is named with backup='no' / checkpoint='no': libvirt would
/// otherwise try to back up or put a bitmap on a raw read-only medium and fail the whole job.
/// </summary>
public static class DomainBackupXml
{
    /// <summary>A full backup (no <paramref name="incrementalFrom"/>) or one of the blocks changed since that checkpoint, into a new qcow2 file.</summary>
    public static string Backup(string domainXml, string disk, string targetFile, string? incrementalFrom)
    {
        var root = new XElement("domainbackup", new XAttribute("mode", "push"));
        if (incrementalFrom is not null) root.Add(new XElement("incremental", incrementalFrom));
        root.Add(new XElement("disks", DiskTargets(domainXml).Select(name => name == disk
            ? new XElement("disk", new XAttribute("name", name), new XAttribute("backup", "yes"), new XAttribute("type", "file"),
                new XElement("target", new XAttribute("file", targetFile)), new XElement("driver", new XAttribute("type", "qcow2")))
            : new XElement("disk", new XAttribute("name", name), new XAttribute("backup", "no")))));
        return root.ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>A checkpoint named <paramref name="name"/> with a dirty bitmap on <paramref name="disk"/> only.</summary>
    public static string Checkpoint(string domainXml, string name, string disk)
    {
        var root = new XElement("domaincheckpoint", new XElement("name", name),
            new XElement("disks", DiskTargets(domainXml).Select(target => new XElement("disk", new XAttribute("name", target),
                new XAttribute("checkpoint", target == disk ? "bitmap" : "no")))));
        return root.ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>The target device names (vda, sda, ...) of the domain's disks.</summary>
    public static IReadOnlyList<string> DiskTargets(string domainXml)
    {
        var root = XDocument.Parse(domainXml).Root ?? throw new FormatException("not a <domain> document");
        return root.Element("devices")?.Elements("disk")
            .Select(d => (string?)d.Element("target")?.Attribute("dev")).OfType<string>().ToList() ?? [];
    }

    /// <summary>The target file of <paramref name="disk"/> in a running job's &lt;domainbackup&gt;, or null.</summary>
    public static string? TargetFileOf(string backupXml, string disk) =>
        XDocument.Parse(backupXml).Root?.Element("disks")?.Elements("disk")
            .FirstOrDefault(d => (string?)d.Attribute("name") == disk)?.Element("target")?.Attribute("file")?.Value;
}
