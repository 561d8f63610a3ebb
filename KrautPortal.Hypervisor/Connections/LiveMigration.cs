using System.Globalization;
using System.Net;

namespace KrautPortal.Hypervisor;

/// <summary>
/// One live migration as <see cref="LibvirtConnection.MigrateLive"/> runs it: memory and the writable disks' top layer
/// go from the source QEMU straight to the target's (NBD for the disks), the target's base images, overlays and
/// read-only media already in place at the paths <paramref name="DestinationXml"/> names.
/// </summary>
/// <param name="Uuid">The running domain on the source connection.</param>
/// <param name="TargetAddress">An address of the target host the source host reaches (never a host name, which the
/// source may resolve differently): its QEMU listens there for the memory stream and the disks' NBD export.</param>
/// <param name="DestinationXml">The running domain's definition for the target (<see cref="MigrationXml.ForTarget"/>).</param>
/// <param name="PersistentXml">The definition the target keeps for the next boot; null keeps <paramref name="DestinationXml"/>.</param>
/// <param name="CopiedDisks">Target names (vda) of the disks whose top layer is copied; read-only media are never copied.</param>
/// <param name="UndefineSource">libvirt undefines the source's definition once the target runs; false leaves it there,
/// stopped, for the caller to remove.</param>
public sealed record LiveMigrationRequest(
    Guid Uuid,
    string TargetAddress,
    string DestinationXml,
    string? PersistentXml,
    IReadOnlyList<string> CopiedDisks,
    bool UndefineSource = true)
{
    /// <summary>tcp://address, with an IPv6 address in brackets; refuses what is not an IP address.</summary>
    public string MigrationUri => IPAddress.TryParse(TargetAddress, out var ip)
        ? ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"tcp://[{ip.ToString()}]"
            : string.Create(CultureInfo.InvariantCulture, $"tcp://{ip}")
        : throw new ArgumentException($"The target's migration address must be an IP address, not '{TargetAddress}'.", nameof(TargetAddress));
}

/// <summary>
/// The migration job as libvirt reports it while it runs (virDomainGetJobStats on the source); null where the
/// driver reports nothing.
/// </summary>
public sealed record LiveMigrationProgress(TimeSpan Elapsed, ulong? DataTotal, ulong? DataProcessed, ulong? DataRemaining,
    ulong? DiskTotal, ulong? DiskProcessed, ulong? MemoryIteration)
{
    /// <summary>Share of all data (memory and disks) sent, 0..1, or null before libvirt knows the total.</summary>
    public double? Fraction => DataTotal is > 0 && DataProcessed is { } done ? Math.Min(1.0, (double)done / DataTotal.Value) : null;
}

/// <summary>A finished live migration: the domain on the target and what libvirt measured of it.</summary>
/// <param name="Downtime">How long the guest was paused for the switch-over, when the target reports it.</param>
public sealed record LiveMigrationResult(LibvirtDomain Domain, TimeSpan Elapsed, TimeSpan? Downtime, ulong? DataTransferred);

/// <summary>A live migration Kraut refuses before asking libvirt: the two ends cannot run the same guest live.</summary>
public sealed class LiveMigrationRefusedException : Exception
{
    public LiveMigrationRefusedException()
    {
    }

    public LiveMigrationRefusedException(string message)
        : base(message)
    {
    }

    public LiveMigrationRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
