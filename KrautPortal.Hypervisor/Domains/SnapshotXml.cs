using System.Globalization;
using System.Xml.Linq;

namespace KrautPortal.Hypervisor;

/// <summary>Builds and reads libvirt's &lt;domainsnapshot&gt; documents (always through XElement, never by string).</summary>
public static class SnapshotXml
{
    /// <summary>
    /// An internal snapshot: disks in their qcow2 files, and with <paramref name="withMemory"/> the running guest's memory
    /// too (QEMU's savevm). Without memory only a stopped domain can have one: libvirt makes a disk-only snapshot of a
    /// running domain external, which Kraut does not use (see docs/architecture.md, "Snapshots").
    /// </summary>
    public static string Internal(string name, string? description, bool withMemory)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var root = new XElement("domainsnapshot", new XElement("name", name));
        if (!string.IsNullOrEmpty(description)) root.Add(new XElement("description", description));
        root.Add(new XElement("memory", new XAttribute("snapshot", withMemory ? "internal" : "no")));
        return root.ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>
    /// <paramref name="document"/> (a snapshot's full XML from one host) with <paramref name="domainXml"/> (the same
    /// domain as defined on another host) in place of the definition it was taken with: the disks it names must be the
    /// files on the host the snapshot is redefined on, which a revert starts the domain from.
    /// </summary>
    public static string WithDomain(string document, string domainXml)
    {
        var root = XElement.Parse(document);
        var domain = XElement.Parse(domainXml);
        if (root.Name != "domainsnapshot" || domain.Name != "domain") throw new FormatException("Expected a <domainsnapshot> and a <domain> document.");
        root.Element("inactiveDomain")?.Remove();
        if (root.Element("domain") is { } taken) taken.ReplaceWith(domain);
        else root.Add(domain);
        return root.ToString(SaveOptions.DisableFormatting);
    }

    public static DomainSnapshotInfo Parse(string xml)
    {
        var root = XElement.Parse(xml);
        var state = (string?)root.Element("state") ?? "shutoff";
        var memory = (string?)root.Element("memory")?.Attribute("snapshot");
        var created = long.TryParse((string?)root.Element("creationTime"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime
            : (DateTime?)null;
        // Older documents have no <memory>; then a snapshot of a running guest holds its memory (internal savevm).
        var withMemory = state is "running" or "paused" && memory is null or "internal" or "external";
        var external = memory == "external"
            || root.Element("disks")?.Elements("disk").Any(d => (string?)d.Attribute("snapshot") == "external") == true;
        return new DomainSnapshotInfo(
            (string?)root.Element("name") ?? throw new FormatException("A domain snapshot without a name."),
            (string?)root.Element("description"),
            state,
            (string?)root.Element("parent")?.Element("name"),
            created,
            withMemory,
            !external);
    }
}
