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
    public void Configure(EntityTypeBuilder<IpAllocationRow> e)
    {
        e.ToTable("ip_allocations");
        e.HasKey(a => new { a.NetworkId, a.Address });
        e.Property(a => a.NetworkId).HasColumnName("network_id");
        e.Property(a => a.Address).HasColumnName("address").HasMaxLength(45);
        e.Property(a => a.Family).HasColumnName("family");
        e.Property(a => a.NicId).HasColumnName("nic_id");
        e.Property(a => a.VmId).HasColumnName("vm_id");
        e.HasIndex(a => new { a.NicId, a.Family }).IsUnique();
        e.HasIndex(a => a.VmId);
    }
}

public sealed class MacAllocationRowConfiguration : IEntityTypeConfiguration<MacAllocationRow>
{
    public void Configure(EntityTypeBuilder<MacAllocationRow> e)
    {
        e.ToTable("mac_allocations");
        e.HasKey(a => a.Mac);
        e.Property(a => a.Mac).HasColumnName("mac").HasMaxLength(17);
        e.Property(a => a.NicId).HasColumnName("nic_id");
        e.Property(a => a.VmId).HasColumnName("vm_id");
        e.HasIndex(a => a.NicId).IsUnique();
        e.HasIndex(a => a.VmId);
    }
}
