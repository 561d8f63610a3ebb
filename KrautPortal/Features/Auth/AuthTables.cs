using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KrautPortal.Features.Auth;

/// <summary>
/// Auth's own tables (users, sessions, the audit log), configured here and applied by <see cref="KrautDbContext"/> with
/// the other features' configurations, so the store knows no feature's rows.
/// </summary>
public static class AuthTables
{
    extension(KrautDbContext db)
    {
        public DbSet<UserRow> Users => db.Set<UserRow>();
        public DbSet<SessionRow> Sessions => db.Set<SessionRow>();
        public DbSet<AuthEventRow> AuthEvents => db.Set<AuthEventRow>();
    }
}

public sealed class AuthEventRowConfiguration : IEntityTypeConfiguration<AuthEventRow>
{
    public void Configure(EntityTypeBuilder<AuthEventRow> e)
    {
        e.ToTable("auth_events");
        e.HasKey(a => a.Seq);
        e.Property(a => a.Seq).ValueGeneratedOnAdd();
        e.HasIndex(a => a.At);
        e.HasIndex(a => new { a.Who, a.At });
    }
}

public sealed class UserRowConfiguration : IEntityTypeConfiguration<UserRow>
{
    public void Configure(EntityTypeBuilder<UserRow> e)
    {
        e.ToTable("users");
        e.HasKey(u => u.Name);
        e.Property(u => u.Name).HasMaxLength(200);
    }
}

public sealed class SessionRowConfiguration : IEntityTypeConfiguration<SessionRow>
{
    public void Configure(EntityTypeBuilder<SessionRow> e)
    {
        e.ToTable("sessions");
        e.HasKey(s => s.KeyHash);
        e.Property(s => s.KeyHash).HasMaxLength(64);
        e.Property(s => s.User).HasMaxLength(200);
        e.HasIndex(s => s.User);
        e.HasIndex(s => s.ExpiresAt);
    }
}
