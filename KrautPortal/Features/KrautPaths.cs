namespace KrautPortal.Features;

/// <summary>Every directory Kraut writes to lives under one data directory, chosen per instance.</summary>
public sealed class KrautPaths
{
    public KrautPaths(string dataDirectory)
    {
        Root = Path.GetFullPath(dataDirectory);
        foreach (var dir in new[] { Root, Images, Disks, Consoles, Seed }) Directory.CreateDirectory(dir);
    }

    public string Root { get; }
    public string Images => Path.Combine(Root, "images");
    public string Disks => Path.Combine(Root, "disks");
    public string Consoles => Path.Combine(Root, "consoles");

    /// <summary>Where scripts/build-guest-image.sh leaves the small test guest that first run registers.</summary>
    public string Seed => Path.Combine(Root, "seed");

    public string DiskFor(Guid vmId) => Path.Combine(Disks, vmId.ToString("D") + ".qcow2");
    public string ConsoleFor(Guid vmId) => Path.Combine(Consoles, vmId.ToString("D") + ".log");
}
