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
    public void Configure(EntityTypeBuilder<AuthEventRow> builder)
    {
        builder.ToTable("auth_events");
        builder.HasKey(a => a.Seq);
        builder.Property(a => a.Seq).ValueGeneratedOnAdd();
        builder.HasIndex(a => a.At);
        builder.HasIndex(a => new { a.Who, a.At });
    }
}

public sealed class UserRowConfiguration : IEntityTypeConfiguration<UserRow>
{
    public void Configure(EntityTypeBuilder<UserRow> builder)
    {
        builder.ToTable("users");
        builder.HasKey(u => u.Name);
        builder.Property(u => u.Name).HasMaxLength(200);
    }
}

public sealed class SessionRowConfiguration : IEntityTypeConfiguration<SessionRow>
{
    public void Configure(EntityTypeBuilder<SessionRow> builder)
    {
        builder.ToTable("sessions");
        builder.HasKey(s => s.KeyHash);
        builder.Property(s => s.KeyHash).HasMaxLength(64);
        builder.Property(s => s.User).HasMaxLength(200);
        builder.HasIndex(s => s.User);
        builder.HasIndex(s => s.ExpiresAt);
    }
}
