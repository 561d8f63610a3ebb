using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KrautPortal.Features.Usage;

/// <summary>
/// One running VM in one sampling pass: libvirt's cumulative counters as read, the rates since the VM's previous
/// sample (null for its first), and what showback charges: the seconds it ran since then with its vCPUs and memory.
/// </summary>
public sealed class UsageSampleRow
{
    public long Id { get; set; }
    public DateTime At { get; set; }
    public Guid VmId { get; set; }
    public required string Owner { get; set; }
    public required string HostUri { get; set; }

    /// <summary>Seconds since this VM's previous sample while it ran (0 for the first sample after a start or restart of Kraut).</summary>
    public double Seconds { get; set; }

    public int Vcpus { get; set; }
    public int MemoryMiB { get; set; }
    public long? DiskCapacityBytes { get; set; }

    public long? CpuTimeNs { get; set; }
    public long? MemoryCurrentKiB { get; set; }
    public long? MemoryRssKiB { get; set; }
    public long? MemoryUsableKiB { get; set; }
    public long? MemoryAvailableKiB { get; set; }
    public long? MemoryUnusedKiB { get; set; }
    public long DiskReadBytes { get; set; }
    public long DiskWriteBytes { get; set; }
    public long DiskReadRequests { get; set; }
    public long DiskWriteRequests { get; set; }
    public long NetRxBytes { get; set; }
    public long NetTxBytes { get; set; }
    public long NetRxPackets { get; set; }
    public long NetTxPackets { get; set; }

    public double? CpuPercent { get; set; }
    public long? MemoryUsedBytes { get; set; }
    public double? DiskReadBytesPerSecond { get; set; }
    public double? DiskWriteBytesPerSecond { get; set; }
    public double? NetRxBytesPerSecond { get; set; }
    public double? NetTxBytesPerSecond { get; set; }
}

/// <summary>
/// One VM in one hour, made from its raw samples: averages of the rates, sums of what showback charges. Kept far longer
/// than raw samples.
/// </summary>
public sealed class UsageHourRow
{
    public Guid VmId { get; set; }

    /// <summary>The hour's start (UTC, on the hour).</summary>
    public DateTime Hour { get; set; }

    public required string Owner { get; set; }
    public int Samples { get; set; }
    public double RunningSeconds { get; set; }
    public double VcpuSeconds { get; set; }
    public double MemoryMiBSeconds { get; set; }
    public double DiskGiBSeconds { get; set; }
    public double? CpuPercent { get; set; }
    public double? MemoryUsedBytes { get; set; }
    public double? DiskReadBytesPerSecond { get; set; }
    public double? DiskWriteBytesPerSecond { get; set; }
    public double? NetRxBytesPerSecond { get; set; }
    public double? NetTxBytesPerSecond { get; set; }
}

public sealed class UsageSampleRowConfiguration : IEntityTypeConfiguration<UsageSampleRow>
{
    public void Configure(EntityTypeBuilder<UsageSampleRow> builder)
    {
        builder.ToTable("usage_samples");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Owner).HasMaxLength(200);
        builder.Property(s => s.HostUri).HasMaxLength(300);
        builder.HasIndex(s => new { s.VmId, s.At });
        builder.HasIndex(s => s.At);
    }
}

public sealed class UsageHourRowConfiguration : IEntityTypeConfiguration<UsageHourRow>
{
    public void Configure(EntityTypeBuilder<UsageHourRow> builder)
    {
        builder.ToTable("usage_hours");
        builder.HasKey(h => new { h.VmId, h.Hour });
        builder.Property(h => h.Owner).HasMaxLength(200);
        builder.HasIndex(h => h.Hour);
        builder.HasIndex(h => new { h.Owner, h.Hour });
    }
}

public static class UsageTables
{
    extension(KrautDbContext db)
    {
        public DbSet<UsageSampleRow> UsageSamples => db.Set<UsageSampleRow>();
        public DbSet<UsageHourRow> UsageHours => db.Set<UsageHourRow>();
    }
}
