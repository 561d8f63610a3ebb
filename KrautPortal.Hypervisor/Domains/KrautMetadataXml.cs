using System.Globalization;
using System.Xml.Linq;

namespace KrautPortal.Hypervisor;

/// <summary>The one mapping between <see cref="KrautDomainMetadata"/> and its XML element.</summary>
/// <remarks>
/// Inside a domain document the element lives in Kraut's namespace; virDomainGetMetadata and
/// virDomainSetMetadata exchange it without namespace. Reading therefore matches local names only,
/// and only children of an element that is ours.
/// </remarks>
internal static class KrautMetadataXml
{
    private const string Root = "instance";

    public static XElement ToElement(KrautDomainMetadata m, XNamespace ns)
    {
        var element = new XElement(ns + Root,
            new XElement(ns + "vm-id", m.VmId.ToString("D")),
            new XElement(ns + "instance-id", m.InstanceId),
            new XElement(ns + "vm-name", m.VmName),
            new XElement(ns + "spec-version", m.SpecVersion.ToString(CultureInfo.InvariantCulture)));
        if (ns != XNamespace.None)
        {
            element.Add(new XAttribute(XNamespace.Xmlns + KrautDomainMetadata.Prefix, ns.NamespaceName));
        }

        return element;
    }

    /// <summary>Null when the element is not a complete Kraut metadata element.</summary>
    public static KrautDomainMetadata? FromElement(XElement element)
    {
        if (element.Name.LocalName != Root)
        {
            return null;
        }

        string? Child(string name) => element.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

        var instanceId = Child("instance-id");
        var vmName = Child("vm-name");
        if (!Guid.TryParse(Child("vm-id"), out var vmId)
            || !long.TryParse(Child("spec-version"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var version)
            || instanceId is null
            || vmName is null)
        {
            return null;
        }

        return new KrautDomainMetadata(vmId, instanceId, vmName, version);
    }
}
