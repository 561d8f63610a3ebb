using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KrautPortal.Features.Audit;

/// <summary>
/// One API call that meant to change something (any method but GET, HEAD and OPTIONS under /api): who, how, what, with
/// which (masked) parameters and how it ended. <see cref="Hash"/> chains it to the entry before (<see cref="AuditChain"/>).
/// </summary>
public sealed class AuditEntryRow
{
    /// <summary>Assigned by the single writer, 1, 2, 3, … without gaps: a missing number is a deleted entry.</summary>
    public long Seq { get; set; }

    /// <summary>When the request arrived.</summary>
    public DateTime At { get; set; }

    /// <summary>The person (a token's maker, not its owning group), for "my entries" and the user filter; null when nobody signed in.</summary>
    public string? User { get; set; }

    /// <summary>As history names the actor: <c>alice</c> or <c>alice (token …)</c>.</summary>
    public string? Who { get; set; }

    /// <summary>Which authenticator vouched (htpasswd, ldap, token, session …); null when nobody did.</summary>
    public string? Via { get; set; }

    public Guid? TokenId { get; set; }
    public string? RemoteAddress { get; set; }
    public required string Method { get; set; }

    /// <summary>The endpoint's route template (<c>/api/v1/vms/{id}/actions/{action}</c>); null when no endpoint matched.</summary>
    public string? Route { get; set; }

    /// <summary>The path as requested, with its query string (secret-looking values masked); bounded.</summary>
    public required string Path { get; set; }

    public string? Kind { get; set; }
    public Guid? ObjectId { get; set; }
    public string? Action { get; set; }
    public int Status { get; set; }

    /// <summary><c>ok</c> (below 400), <c>refused</c> (4xx) or <c>failed</c> (5xx, or the client went away).</summary>
    public required string Outcome { get; set; }

    public double DurationMs { get; set; }

    /// <summary>The body as JSON with secret-looking values replaced by "***", or a note of its size and type; bounded.</summary>
    public string? Parameters { get; set; }

    /// <summary>SHA-256 (hex) of the previous entry's hash and this entry's canonical form.</summary>
    public required string Hash { get; set; }
}

/// <summary>The audit trail's own table, applied by <see cref="KrautDbContext"/> with the other features' configurations.</summary>
public sealed class AuditEntryRowConfiguration : IEntityTypeConfiguration<AuditEntryRow>
{
    public void Configure(EntityTypeBuilder<AuditEntryRow> builder)
    {
        builder.ToTable("audit_entries");
        builder.HasKey(a => a.Seq);
        builder.Property(a => a.Seq).ValueGeneratedNever();
        builder.Property(a => a.User).HasMaxLength(200);
        builder.Property(a => a.Who).HasMaxLength(300);
        builder.Property(a => a.Via).HasMaxLength(100);
        builder.Property(a => a.RemoteAddress).HasMaxLength(64);
        builder.Property(a => a.Method).HasMaxLength(16);
        builder.Property(a => a.Route).HasMaxLength(300);
        builder.Property(a => a.Path).HasMaxLength(500);
        builder.Property(a => a.Kind).HasMaxLength(40);
        builder.Property(a => a.Action).HasMaxLength(100);
        builder.Property(a => a.Outcome).HasMaxLength(16);
        builder.Property(a => a.Hash).HasMaxLength(64);
        builder.HasIndex(a => a.At);
        builder.HasIndex(a => new { a.User, a.At });
        builder.HasIndex(a => new { a.ObjectId, a.At });
    }
}

public static class AuditTables
{
    extension(KrautDbContext db)
    {
        public DbSet<AuditEntryRow> AuditEntries => db.Set<AuditEntryRow>();
    }
}
