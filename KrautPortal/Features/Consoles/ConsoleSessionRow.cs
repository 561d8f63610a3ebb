using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KrautPortal.Features.Consoles;

/// <summary>The audit record of one console session: written when it opens, completed when it closes.</summary>
public sealed class ConsoleSessionRow
{
    public Guid Id { get; set; }
    public Guid VmId { get; set; }
    public required string VmName { get; set; }
    public required string Type { get; set; }

    /// <summary>The person (a token's maker).</summary>
    public required string Who { get; set; }

    /// <summary>How they signed in (the authenticator's name).</summary>
    public required string Via { get; set; }

    public Guid? TokenId { get; set; }
    public string? Origin { get; set; }
    public string? RemoteAddress { get; set; }
    public DateTime OpenedAt { get; set; }

    /// <summary>Null while open (or when the portal stopped without closing it: start-up then closes it, "portal restarted").</summary>
    public DateTime? ClosedAt { get; set; }

    public string? Reason { get; set; }
    public long BytesIn { get; set; }
    public long BytesOut { get; set; }
}

/// <summary>Plain columns only, so the table reads the same on SQLite and PostgreSQL.</summary>
public sealed class ConsoleSessionRowConfiguration : IEntityTypeConfiguration<ConsoleSessionRow>
{
    public void Configure(EntityTypeBuilder<ConsoleSessionRow> builder)
    {
        builder.ToTable("console_sessions");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Id).ValueGeneratedNever();
        builder.Property(s => s.VmName).HasMaxLength(ResourceNames.MaxLength);
        builder.Property(s => s.Type).HasMaxLength(16);
        builder.Property(s => s.Who).HasMaxLength(200);
        builder.Property(s => s.Via).HasMaxLength(100);
        builder.Property(s => s.Origin).HasMaxLength(300);
        builder.Property(s => s.RemoteAddress).HasMaxLength(64);
        builder.Property(s => s.Reason).HasMaxLength(500);
        builder.HasIndex(s => s.OpenedAt);
        builder.HasIndex(s => s.ClosedAt);
    }
}

public static class ConsoleTables
{
    extension(KrautDbContext db)
    {
        public DbSet<ConsoleSessionRow> ConsoleSessions => db.Set<ConsoleSessionRow>();
    }
}
