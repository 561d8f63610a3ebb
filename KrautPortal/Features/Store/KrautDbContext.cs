using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Store;

/// <summary>The store's tables, and those the features configure. Each database provider derives its own context so each keeps its own migrations.</summary>
public abstract class KrautDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<ResourceRow> Resources => Set<ResourceRow>();
    public DbSet<HistoryRow> History => Set<HistoryRow>();
    public DbSet<SettingRow> Settings => Set<SettingRow>();

    /// <summary>The hand-written SQL fragments in this database's words: each provider's context knows its own.</summary>
    public abstract StoreSql Sql { get; }

    /// <summary>
    /// Changes written inside this context's open transaction, announced after its commit
    /// (<see cref="ResourceStore.InTransactionAsync{T}"/>). Kept with the context, not the store: in a circuit two operations
    /// of one store may run at once, each on its own context (<see cref="DbSession"/>), only one of them in a transaction.
    /// </summary>
    internal List<ResourceChange>? Unpublished { get; set; }

    /// <summary>Times are stored in UTC; SQLite forgets the kind, so it is restored on read.</summary>
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }

    private sealed class UtcDateTimeConverter() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTime, DateTime>(
        v => v.ToUniversalTime(), v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        // JSON documents are text on both databases, not jsonb on PostgreSQL: jsonb reorders keys and drops whitespace,
        // so stored documents would read differently than on SQLite, and the store's LIKE narrowing (an id anywhere in a
        // spec) does not apply to jsonb. Values are read with ::jsonb where needed (StoreSql), and selectors use the
        // resource_labels table, which a PostgreSQL trigger fills with jsonb functions.
        string? jsonType = null;

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
            // Newest first across all objects (the audit trail, ResourceStore.HistoryFeedAsync): without it every page sorts the whole table.
            e.HasIndex(h => new { h.ChangedAt, h.Seq });
        });

        Selectors.ResourceLabelRow.Configure(modelBuilder);

        // Features configure their own tables (IEntityTypeConfiguration beside their rows), so the store names none of them.
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(KrautDbContext).Assembly);

        modelBuilder.Entity<SettingRow>(e =>
        {
            e.ToTable("settings");
            e.HasKey(s => s.Key);
        });
    }
}

/// <summary>SQLite, the default: one file in the data directory.</summary>
public sealed class SqliteKrautDbContext(DbContextOptions<SqliteKrautDbContext> options) : KrautDbContext(options)
{
    private static readonly SqliteStoreSql Dialect = new();

    public override StoreSql Sql => Dialect;
}

/// <summary>PostgreSQL (<c>Database:Provider</c> = <c>postgres</c>), with its own migrations in Migrations/Postgres.</summary>
public sealed class PostgresKrautDbContext(DbContextOptions<PostgresKrautDbContext> options) : KrautDbContext(options)
{
    private static readonly PostgresStoreSql Dialect = new();

    public override StoreSql Sql => Dialect;

    /// <summary>
    /// Text compares and sorts by bytes (collation "C"), as SQLite's BINARY does: names list in the same order, and keyset
    /// paging and unique names mean the same on both, whatever locale the operator's database was created with.
    /// </summary>
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        base.ConfigureConventions(configurationBuilder);
        configurationBuilder.Properties<string>().UseCollation("C");
    }
}

/// <summary>
/// How dotnet-ef makes the PostgreSQL context to add a migration: no server is needed for that, only the provider.
/// (The SQLite context comes from the app's own services, which register it by default.)
/// </summary>
public sealed class PostgresKrautDbContextDesignFactory : Microsoft.EntityFrameworkCore.Design.IDesignTimeDbContextFactory<PostgresKrautDbContext>
{
    public PostgresKrautDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresKrautDbContext>().UseNpgsql("Host=127.0.0.1;Port=5433;Database=kraut_design").Options);
}
