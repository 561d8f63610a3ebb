using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KrautPortal.Features.Networks.Ipam;

/// <summary>The IPAM's tables, applied by <see cref="KrautDbContext"/> with the other features' configurations.</summary>
public static class AllocationTables
{
    extension(KrautDbContext db)
    {
        public DbSet<IpAllocationRow> IpAllocations => db.Set<IpAllocationRow>();
        public DbSet<MacAllocationRow> MacAllocations => db.Set<MacAllocationRow>();
    }
}

// The keys are the IPAM's uniqueness: allocation is "insert, and on a clash try the next", never read-then-write.
public sealed class IpAllocationRowConfiguration : IEntityTypeConfiguration<IpAllocationRow>
{
    public void Configure(EntityTypeBuilder<IpAllocationRow> builder)
    {
        builder.ToTable("ip_allocations");
        builder.HasKey(a => new { a.NetworkId, a.Address });
        builder.Property(a => a.NetworkId).HasColumnName("network_id");
        builder.Property(a => a.Address).HasColumnName("address").HasMaxLength(45);
        builder.Property(a => a.Family).HasColumnName("family");
        builder.Property(a => a.NicId).HasColumnName("nic_id");
        builder.Property(a => a.VmId).HasColumnName("vm_id");
        builder.HasIndex(a => new { a.NicId, a.Family }).IsUnique();
        builder.HasIndex(a => a.VmId);
    }
}

public sealed class MacAllocationRowConfiguration : IEntityTypeConfiguration<MacAllocationRow>
{
    public void Configure(EntityTypeBuilder<MacAllocationRow> builder)
    {
        builder.ToTable("mac_allocations");
        builder.HasKey(a => a.Mac);
        builder.Property(a => a.Mac).HasColumnName("mac").HasMaxLength(17);
        builder.Property(a => a.NicId).HasColumnName("nic_id");
        builder.Property(a => a.VmId).HasColumnName("vm_id");
        builder.HasIndex(a => a.NicId).IsUnique();
        builder.HasIndex(a => a.VmId);
    }
}
