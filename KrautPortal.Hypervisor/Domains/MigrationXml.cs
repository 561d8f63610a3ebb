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
        ArgumentNullException.ThrowIfNull(runningXml);
        ArgumentNullException.ThrowIfNull(target);
        var root = XDocument.Parse(runningXml).Root ?? throw new FormatException("not a <domain> document");
        if (!Guid.TryParse(root.Element("uuid")?.Value, out var uuid) || uuid != target.Uuid)
            throw new LiveMigrationRefusedException($"The running domain is {root.Element("uuid")?.Value}, not {target.Uuid}.");
        RequireSameType((string?)root.Attribute("type"), target.DomainType);
        var devices = root.Element("devices") ?? throw new FormatException("domain has no <devices>");

        if (target.Emulator is not null) devices.Element("emulator")?.SetValue(target.Emulator);

        var wanted = target.Disks.ToDictionary(d => d.TargetDev, StringComparer.Ordinal);
        foreach (var disk in devices.Elements("disk").ToList())
        {
            var dev = (string?)disk.Element("target")?.Attribute("dev") ?? throw new FormatException("a disk has no target dev");
            if (!wanted.Remove(dev, out var definition))
                throw new LiveMigrationRefusedException($"The running domain has disk {dev}, which its definition for the target lacks: redefine it first.");
            // The backing chain is the target's own: libvirt reads it from the overlay there, as at a fresh start.
            disk.Elements("backingStore").Remove();
            if (disk.Element("source") is { } source)
            {
                if ((string?)disk.Attribute("type") != "file")
                    throw new LiveMigrationRefusedException($"Disk {dev} is not a file, so its path on the target is unknown.");
                source.RemoveAttributes();
                source.SetAttributeValue("file", definition.Path);
            }
        }
        if (wanted.Count > 0)
            throw new LiveMigrationRefusedException($"The definition for the target has disk(s) {string.Join(", ", wanted.Keys)} the running domain lacks: a disk cannot be added during a move.");

        foreach (var log in devices.Elements("serial").Concat(devices.Elements("console")).Select(e => e.Element("log")).OfType<XElement>().ToList())
        {
            if (target.SerialLogPath is null) log.Remove();
            else log.SetAttributeValue("file", target.SerialLogPath);
        }

        // The display is the target host's business (a socket only a portal on that machine relays); the video card
        // stays, being part of the guest's hardware.
        devices.Elements("graphics").Remove();
        if (target.VncSocketPath is { } vnc && devices.Element("video") is { } video) video.AddBeforeSelf(DomainXml.VncElement(vnc));

        return root.ToString();
    }

    /// <summary>Refuses a move between a KVM and a TCG host (or to the test driver): the guest's state cannot cross.</summary>
    /// <exception cref="LiveMigrationRefusedException">The types differ.</exception>
    public static void RequireSameDomainType(string runningXml, string destinationXml)
    {
        var running = (string?)XDocument.Parse(runningXml).Root?.Attribute("type");
        var destination = (string?)XDocument.Parse(destinationXml).Root?.Attribute("type");
        RequireSameType(running, destination ?? "");
    }

    /// <summary>The disks whose top layer a live migration copies: the writable ones (CD-ROMs and read-only disks are never written).</summary>
    public static IReadOnlyList<string> WritableDisks(DomainDefinition definition) =>
        definition.Disks.Where(d => !d.IsCdrom && !d.ReadOnly).Select(d => d.TargetDev).ToList();

    private static void RequireSameType(string? running, string target)
    {
        if (string.Equals(running, target, StringComparison.Ordinal)) return;
        throw new LiveMigrationRefusedException(
            $"The VM runs as a '{running}' domain{Accel(running)}, but the target runs guests as '{target}'{Accel(target)}: a running guest cannot move "
            + "between the two, because its CPU state cannot be carried over. Stop it and move it cold, or choose a host of the same kind.");
    }

    private static string Accel(string? type) => type switch
    {
        "kvm" => " (KVM)",
        "qemu" => " (QEMU's TCG emulation)",
        _ => "",
    };
}
