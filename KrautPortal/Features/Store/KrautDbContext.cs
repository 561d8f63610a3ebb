using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Store;

/// <summary>The store's tables. Each database provider derives its own context so each keeps its own migrations.</summary>
public abstract class KrautDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<ResourceRow> Resources => Set<ResourceRow>();
    public DbSet<HistoryRow> History => Set<HistoryRow>();
    public DbSet<SettingRow> Settings => Set<SettingRow>();
    public DbSet<Auth.AuthEventRow> AuthEvents => Set<Auth.AuthEventRow>();
    public DbSet<Auth.UserRow> Users => Set<Auth.UserRow>();
    public DbSet<Auth.TokenSecretRow> TokenSecrets => Set<Auth.TokenSecretRow>();
    public DbSet<Auth.SessionRow> Sessions => Set<Auth.SessionRow>();
    public DbSet<Networks.Ipam.IpAllocationRow> IpAllocations => Set<Networks.Ipam.IpAllocationRow>();
    public DbSet<Networks.Ipam.MacAllocationRow> MacAllocations => Set<Networks.Ipam.MacAllocationRow>();

    /// <summary>Times are stored in UTC; SQLite forgets the kind, so it is restored on read.</summary>
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }

    private sealed class UtcDateTimeConverter() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTime, DateTime>(
        v => v.ToUniversalTime(), v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        // PostgreSQL gets jsonb (indexable, validated); SQLite keeps JSON as text.
        var jsonType = Database.ProviderName?.Contains("Npgsql", StringComparison.Ordinal) == true ? "jsonb" : null;

        modelBuilder.Entity<ResourceRow>(e =>
        {
            e.ToTable("resources");
            e.HasKey(r => r.Seq);
            e.Property(r => r.Seq).ValueGeneratedOnAdd();
            e.HasIndex(r => r.Id).IsUnique();
            e.Property(r => r.Kind).HasMaxLength(40);
            e.Property(r => r.Name).HasMaxLength(ResourceNames.MaxLength);
            e.Property(r => r.Owner).HasMaxLength(200);
            e.Property(r => r.Metadata).HasColumnType(jsonType);
            e.Property(r => r.Spec).HasColumnType(jsonType);
            e.Property(r => r.Status).HasColumnType(jsonType);
            // The database, not a read-then-write check, keeps names unique per owner and kind.
            e.HasIndex(r => new { r.Kind, r.Owner, r.Name }).IsUnique();
            e.HasIndex(r => new { r.Kind, r.Name, r.Seq });
            e.HasIndex(r => new { r.Kind, r.CreatedAt, r.Seq });
            e.HasIndex(r => new { r.Kind, r.UpdatedAt, r.Seq });
            e.Property(r => r.Version).IsConcurrencyToken();
        });

        modelBuilder.Entity<HistoryRow>(e =>
        {
            e.ToTable("history");
            e.HasKey(h => h.Seq);
            e.Property(h => h.Seq).ValueGeneratedOnAdd();
            e.Property(h => h.Kind).HasMaxLength(40);
            e.Property(h => h.Snapshot).HasColumnType(jsonType);
            e.HasIndex(h => new { h.ResourceId, h.Version }).IsUnique();
        });

        Selectors.ResourceLabelRow.Configure(modelBuilder);

        modelBuilder.Entity<Auth.AuthEventRow>(e =>
        {
            e.ToTable("auth_events");
            e.HasKey(a => a.Seq);
            e.Property(a => a.Seq).ValueGeneratedOnAdd();
            e.HasIndex(a => a.At);
            e.HasIndex(a => new { a.Who, a.At });
        });

        modelBuilder.Entity<Auth.UserRow>(e =>
        {
            e.ToTable("users");
            e.HasKey(u => u.Name);
            e.Property(u => u.Name).HasMaxLength(200);
        });

        modelBuilder.Entity<Auth.TokenSecretRow>(e =>
        {
            e.ToTable("token_secrets");
            e.HasKey(t => t.TokenId);
        });

        modelBuilder.Entity<Auth.SessionRow>(e =>
        {
            e.ToTable("sessions");
            e.HasKey(s => s.KeyHash);
            e.Property(s => s.KeyHash).HasMaxLength(64);
            e.Property(s => s.User).HasMaxLength(200);
            e.HasIndex(s => s.User);
            e.HasIndex(s => s.ExpiresAt);
        });

        // The keys are the IPAM's uniqueness: allocation is "insert, and on a clash try the next", never read-then-write.
        modelBuilder.Entity<Networks.Ipam.IpAllocationRow>(e =>
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
        });

        modelBuilder.Entity<Networks.Ipam.MacAllocationRow>(e =>
        {
            e.ToTable("mac_allocations");
            e.HasKey(a => a.Mac);
            e.Property(a => a.Mac).HasColumnName("mac").HasMaxLength(17);
            e.Property(a => a.NicId).HasColumnName("nic_id");
            e.Property(a => a.VmId).HasColumnName("vm_id");
            e.HasIndex(a => a.NicId).IsUnique();
            e.HasIndex(a => a.VmId);
        });

        modelBuilder.Entity<SettingRow>(e =>
        {
            e.ToTable("settings");
            e.HasKey(s => s.Key);
        });
    }
}

/// <summary>SQLite, the default: one file in the data directory.</summary>
public sealed class SqliteKrautDbContext(DbContextOptions<SqliteKrautDbContext> options) : KrautDbContext(options);
