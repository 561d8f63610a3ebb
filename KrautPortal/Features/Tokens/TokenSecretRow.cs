using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KrautPortal.Features.Tokens;

/// <summary>The hash of a limited-scope token's secret, kept apart from the token record the API serves.</summary>
public sealed class TokenSecretRow
{
    public Guid TokenId { get; set; }
    public required string Sha256 { get; set; }

    /// <summary>The creator's groups when the token was made (JSON array): a token never reaches further than they could.</summary>
    public string CreatorGroups { get; set; } = "[]";

    /// <summary>The person who made the token (its owner may be one of their groups): the user checked again on each use.</summary>
    public string? Creator { get; set; }
}

/// <summary>The token secrets table, applied by <see cref="KrautDbContext"/> with the other features' configurations.</summary>
public sealed class TokenSecretRowConfiguration : IEntityTypeConfiguration<TokenSecretRow>
{
    public void Configure(EntityTypeBuilder<TokenSecretRow> builder)
    {
        builder.ToTable("token_secrets");
        builder.HasKey(t => t.TokenId);
    }
}

public static class TokenTables
{
    extension(KrautDbContext db)
    {
        public DbSet<TokenSecretRow> TokenSecrets => db.Set<TokenSecretRow>();
    }
}
