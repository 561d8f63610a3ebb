namespace KrautPortal.Features;

/// <summary>Every directory Kraut writes to lives under one data directory, chosen per instance.</summary>
public sealed class KrautPaths
{
    /// <param name="dataDirectory">Everything Kraut writes, unless said otherwise below.</param>
    /// <param name="backupDirectory">
    /// Where backups go (<c>Kraut:BackupDirectory</c>), typically other storage than the disks they protect; by default
    /// <c>backups</c> under the data directory. It must be an absolute path: a relative one would depend on where the
    /// portal happened to be started.
    /// </param>
    public KrautPaths(string dataDirectory, string? backupDirectory = null)
    {
        Root = Path.GetFullPath(dataDirectory);
        if (!string.IsNullOrWhiteSpace(backupDirectory) && !Path.IsPathFullyQualified(backupDirectory))
            throw new InvalidOperationException($"Kraut:BackupDirectory must be an absolute path, not '{backupDirectory}'.");
        Backups = string.IsNullOrWhiteSpace(backupDirectory) ? Path.Combine(Root, "backups") : Path.GetFullPath(backupDirectory);
        foreach (var dir in new[] { Root, Images, Disks, Consoles, Seed, CloudInit, RouterAgents, VncSockets, Backups }) Directory.CreateDirectory(dir);
        MakePrivate(Root);
        // Backups hold whole disks: closed like the data directory, also when they live elsewhere.
        MakePrivate(Backups);
    }

    /// <summary>
    /// Only the portal's own user may enter the data directory: it holds the database (password hashes, OTP secrets,
    /// tokens' hashes), disks, seed ISOs with user-data and console logs, which would otherwise be 0644 for every local
    /// user. A closed top is enough, whatever the files below it say; QEMU and libvirt run as root here.
    /// </summary>
    private static void MakePrivate(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Root { get; }

    /// <summary>Backups, <c>&lt;vmId&gt;/&lt;backupId&gt;.qcow2</c> below it; see the constructor.</summary>
    public string Backups { get; }
    public string Images => Path.Combine(Root, "images");
    public string Disks => Path.Combine(Root, "disks");
    public string Consoles => Path.Combine(Root, "consoles");

    /// <summary>Each VM's cloud-init NoCloud seed (an ISO attached as a CD), named by the VM's id only.</summary>
    public string CloudInit => Path.Combine(Root, "cloud-init");

    /// <summary>Where scripts/build-guest-image.sh leaves the small test guest that first run registers.</summary>
    public string Seed => Path.Combine(Root, "seed");

    /// <summary>The host end of each router VM's agent channel (a Unix socket QEMU listens on), named by the VM's id only.</summary>
    public string RouterAgents => Path.Combine(Root, "router-agents");

    public string RouterAgentSocketFor(Guid vmId) => Path.Combine(RouterAgents, vmId.ToString("N") + ".sock");

    /// <summary>
    /// Each VM's VNC server: a Unix socket QEMU listens on (never a network address), which only the portal relays.
    /// Named by the VM's id only, short enough for sun_path's 108 bytes.
    /// </summary>
    public string VncSockets => Path.Combine(Root, "vnc");

    public string VncSocketFor(Guid vmId) => Path.Combine(VncSockets, vmId.ToString("N") + ".sock");

    public string DiskFor(Guid vmId) => Path.Combine(Disks, vmId.ToString("D") + ".qcow2");
    public string ConsoleFor(Guid vmId) => Path.Combine(Consoles, vmId.ToString("D") + ".log");
    public string SeedIsoFor(Guid vmId) => Path.Combine(CloudInit, vmId.ToString("D") + ".iso");
}
