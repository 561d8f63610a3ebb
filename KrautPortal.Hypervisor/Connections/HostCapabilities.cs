using System.Xml.Linq;

namespace KrautPortal.Hypervisor;

/// <summary>The parts of libvirt's &lt;capabilities&gt; document Kraut decides on: host arch and guest emulators.</summary>
public sealed record HostCapabilities(string HostArch, IReadOnlyList<GuestCapabilities> Guests)
{
    /// <summary>The hvm guest for an architecture, or null when the host cannot run it.</summary>
    public GuestCapabilities? FindGuest(string arch) =>
        Guests.FirstOrDefault(g => g.OsType == "hvm" && g.Arch == arch);

    public static HostCapabilities Parse(string xml)
    {
        var root = XDocument.Parse(xml).Root ?? throw new FormatException("capabilities XML has no root");
        var hostArch = root.Element("host")?.Element("cpu")?.Element("arch")?.Value
            ?? throw new FormatException("capabilities XML has no host/cpu/arch");

        var guests = root.Elements("guest").Select(ParseGuest).OfType<GuestCapabilities>().ToList();
        return new HostCapabilities(hostArch.Trim(), guests);
    }

    private static GuestCapabilities? ParseGuest(XElement guest)
    {
        var arch = guest.Element("arch");
        var archName = (string?)arch?.Attribute("name");
        if (arch is null || archName is null)
        {
            return null;
        }

        var domains = arch.Elements("domain")
            .Select(d => new GuestDomainCapabilities(
                (string?)d.Attribute("type") ?? "",
                NonEmpty(d.Element("emulator")?.Value),
                Machines(d)))
            .ToList();

        return new GuestCapabilities(
            guest.Element("os_type")?.Value.Trim() ?? "",
            archName,
            NonEmpty(arch.Element("emulator")?.Value),
            Machines(arch),
            domains);
    }

    private static List<string> Machines(XElement parent) =>
        parent.Elements("machine").Select(m => m.Value.Trim()).Where(m => m.Length > 0).ToList();

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
