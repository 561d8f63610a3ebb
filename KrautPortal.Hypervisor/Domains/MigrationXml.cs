using System.Xml.Linq;

namespace KrautPortal.Hypervisor;

/// <summary>
/// The destination XML of a live migration: the running domain's migratable XML with every per-host value (disk and
/// media paths, console log, VNC socket, emulator) taken from the definition built for the target host.
/// </summary>
/// <remarks>
/// Not the target's definition as is: libvirt accepts a destination XML only if it describes the same virtual hardware
/// as the running guest (virDomainDefCheckABIStability), and a freshly built definition lacks the PCI addresses and
/// machine version the running one was given, and on a host without VNC (not the portal's machine) its video card.
/// The target's definition is the persistent XML instead (what the next boot there gets).
/// </remarks>
public static class MigrationXml
{
    /// <summary>The running XML rebased onto <paramref name="target"/>'s paths.</summary>
    /// <exception cref="LiveMigrationRefusedException">Another domain, another domain type, or other disks.</exception>
    public static string ForTarget(string runningXml, DomainDefinition target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return ForTarget(runningXml, DomainXml.Build(target));
    }

    /// <summary>The running XML rebased onto the paths of <paramref name="targetXml"/>, the domain as built for the target.</summary>
    /// <exception cref="LiveMigrationRefusedException">Another domain, another domain type, or other disks.</exception>
    public static string ForTarget(string runningXml, string targetXml)
    {
        ArgumentNullException.ThrowIfNull(runningXml);
        ArgumentNullException.ThrowIfNull(targetXml);
        var root = XDocument.Parse(runningXml).Root ?? throw new FormatException("not a <domain> document");
        var target = XDocument.Parse(targetXml).Root ?? throw new FormatException("not a <domain> document");
        if ((string?)root.Element("uuid") is not { } uuid || !Guid.TryParse(uuid, out var running)
            || !Guid.TryParse((string?)target.Element("uuid"), out var wantedUuid) || running != wantedUuid)
            throw new LiveMigrationRefusedException($"The running domain is {root.Element("uuid")?.Value}, not {target.Element("uuid")?.Value}.");
        RequireSameType((string?)root.Attribute("type"), (string?)target.Attribute("type"));
        var devices = root.Element("devices") ?? throw new FormatException("domain has no <devices>");
        var targetDevices = target.Element("devices") ?? throw new FormatException("the target's domain has no <devices>");

        if (targetDevices.Element("emulator") is { } emulator) devices.Element("emulator")?.SetValue(emulator.Value);

        var wanted = targetDevices.Elements("disk").ToDictionary(TargetDev, StringComparer.Ordinal);
        foreach (var disk in devices.Elements("disk").ToList())
        {
            var dev = TargetDev(disk);
            if (!wanted.Remove(dev, out var definition))
                throw new LiveMigrationRefusedException($"The running domain has disk {dev}, which its definition for the target lacks: redefine it first.");
            // The backing chain is the target's own: libvirt reads it from the overlay there, as at a fresh start.
            disk.Elements("backingStore").Remove();
            if (disk.Element("source") is not { } source) continue;
            if ((string?)disk.Attribute("type") != "file" || (string?)definition.Element("source")?.Attribute("file") is not { } path)
                throw new LiveMigrationRefusedException($"Disk {dev} is not a file on both hosts, so its path on the target is unknown.");
            source.RemoveAttributes();
            source.SetAttributeValue("file", path);
        }
        if (wanted.Count > 0)
            throw new LiveMigrationRefusedException($"The definition for the target has disk(s) {string.Join(", ", wanted.Keys)} the running domain lacks: a disk cannot be added during a move.");

        // A tap name libvirt generated (vnetN) is the source host's; the target picks a free one of its own.
        devices.Elements("interface").Elements("target")
            .Where(t => ((string?)t.Attribute("dev"))?.StartsWith("vnet", StringComparison.Ordinal) == true).Remove();

        var log = (string?)targetDevices.Elements("serial").Select(s => s.Element("log")?.Attribute("file")).FirstOrDefault();
        foreach (var element in devices.Elements("serial").Concat(devices.Elements("console")).Select(e => e.Element("log")).OfType<XElement>().ToList())
        {
            if (log is null) element.Remove();
            else element.SetAttributeValue("file", log);
        }

        // The display is the target host's business (a socket only a portal on that machine relays); the video card
        // stays, being part of the guest's hardware, and without one a display is not added on the way.
        devices.Elements("graphics").Remove();
        if (devices.Element("video") is { } video)
            foreach (var graphics in targetDevices.Elements("graphics")) video.AddBeforeSelf(new XElement(graphics));

        return root.ToString();
    }

    /// <summary>Refuses a move between a KVM and a TCG host (or to the test driver): the guest's state cannot cross.</summary>
    /// <exception cref="LiveMigrationRefusedException">The types differ.</exception>
    public static void RequireSameDomainType(string runningXml, string destinationXml) =>
        RequireSameType((string?)XDocument.Parse(runningXml).Root?.Attribute("type"), (string?)XDocument.Parse(destinationXml).Root?.Attribute("type"));

    /// <summary>The disks whose top layer a live migration copies: the writable ones (CD-ROMs and read-only disks are never written).</summary>
    public static IReadOnlyList<string> WritableDisks(DomainDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return definition.Disks.Where(d => !d.IsCdrom && !d.ReadOnly).Select(d => d.TargetDev).ToList();
    }

    /// <summary>The same, read from a domain's XML.</summary>
    public static IReadOnlyList<string> WritableDisks(string domainXml) =>
        XDocument.Parse(domainXml).Root?.Element("devices")?.Elements("disk")
            .Where(d => (string?)d.Attribute("device") is null or "disk" && d.Element("readonly") is null)
            .Select(TargetDev).ToList() ?? [];

    /// <summary>Whether a domain of <paramref name="runningType"/> can move live to a host that runs guests as <paramref name="targetType"/>; null when it can.</summary>
    public static string? WhyNot(string? runningType, string? targetType) =>
        string.Equals(runningType, targetType, StringComparison.Ordinal)
            ? null
            : $"The VM runs as a '{runningType}' domain{Accel(runningType)}, but the target runs guests as '{targetType}'{Accel(targetType)}: a running guest "
              + "cannot move between the two, because its CPU state cannot be carried over. Stop it and move it cold, or choose a host of the same kind.";

    private static string TargetDev(XElement disk) =>
        (string?)disk.Element("target")?.Attribute("dev") ?? throw new FormatException("a disk has no target dev");

    private static void RequireSameType(string? running, string? target)
    {
        if (WhyNot(running, target) is { } reason) throw new LiveMigrationRefusedException(reason);
    }

    private static string Accel(string? type) => type switch
    {
        "kvm" => " (KVM)",
        "qemu" => " (QEMU's TCG emulation)",
        _ => "",
    };
}
