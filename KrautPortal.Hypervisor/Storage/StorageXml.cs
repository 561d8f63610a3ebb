using System.Globalization;
using System.Xml.Linq;

namespace KrautPortal.Hypervisor;

/// <summary>libvirt's storage pool and volume XML, written and read through XDocument.</summary>
public static class StorageXml
{
    /// <summary>A directory pool: volumes are files in <paramref name="path"/> on the pool's host.</summary>
    public static string DirectoryPool(string name, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!path.StartsWith('/')) throw new ArgumentException($"A pool's directory must be an absolute path, not '{path}'.", nameof(path));
        return new XElement("pool", new XAttribute("type", "dir"),
            new XElement("name", name),
            new XElement("target", new XElement("path", path))).ToString();
    }

    /// <summary>
    /// A volume of <paramref name="capacityBytes"/> in <paramref name="format"/> (qcow2 or raw, always explicit);
    /// with <paramref name="backing"/> a qcow2 overlay on that file, whose format is given too, so it is never probed.
    /// </summary>
    public static string Volume(string name, long capacityBytes, string format, VolumeBacking? backing = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Contains('/', StringComparison.Ordinal)) throw new ArgumentException($"A volume name has no '/': '{name}'.", nameof(name));
        RequireFormat(format);
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        if (backing is not null)
        {
            RequireFormat(backing.Format);
            if (format != "qcow2") throw new ArgumentException("Only a qcow2 volume has a backing store.", nameof(format));
        }
        return new XElement("volume",
            new XElement("name", name),
            new XElement("capacity", new XAttribute("unit", "bytes"), capacityBytes.ToString(CultureInfo.InvariantCulture)),
            // Nothing allocated ahead: a raw volume is then a sparse file the upload fills.
            new XElement("allocation", new XAttribute("unit", "bytes"), "0"),
            new XElement("target", new XElement("format", new XAttribute("type", format))),
            backing is null ? null : new XElement("backingStore",
                new XElement("path", backing.Path),
                new XElement("format", new XAttribute("type", backing.Format)))).ToString();
    }

    /// <summary>The directory of a directory pool, from its XML.</summary>
    public static string PoolPath(string xml) =>
        XDocument.Parse(xml).Root?.Element("target")?.Element("path")?.Value
        ?? throw new FormatException("The pool's XML has no target path.");

    private static void RequireFormat(string format)
    {
        if (format is not ("qcow2" or "raw")) throw new ArgumentException($"Volume format must be qcow2 or raw, not '{format}'.", nameof(format));
    }
}

/// <summary>The file an overlay volume reads through to, on the same host, and that file's format.</summary>
public sealed record VolumeBacking(string Path, string Format);
