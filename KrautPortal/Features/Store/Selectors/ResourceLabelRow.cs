using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Store.Selectors;

/// <summary>
/// One metadata value of one object, as a selector can name it: the dotted key (<c>app.tier</c>) and the value a
/// selector value is compared with (a string as it reads, a number, boolean or null as its JSON text; null for an
/// object, an array or a string too long for any selector value). Written by the database itself, in the transaction
/// of every write of <c>resources."Metadata"</c> (see the ResourceLabels migration), and read only by selector SQL.
/// </summary>
/// <remarks>
/// A plain table with B-tree indexes rather than SQLite JSON expression indexes or a PostgreSQL GIN index: an
/// expression index serves one fixed key only (a selector may name any key), SQLite has no index over every key of a
/// JSON document, and GIN exists only on PostgreSQL and does not serve ordered paging. (Kind, Key, Value, ResourceSeq)
/// lets a query start from the few objects a selective value names, the key (ResourceSeq, Key) checks one object's
/// label while paging walks the name index, and both engines plan both the same way. The table and its indexes come
/// from this EF model; a PostgreSQL migration adds only its own trigger (jsonb_each in a recursive CTE, which SQLite
/// triggers cannot use) computing the same rows as the SQLite one.
/// </remarks>
public sealed class ResourceLabelRow
{
    /// <summary>Longest key or value a selector can hold (<see cref="SelectorParser"/>); longer ones can never match.</summary>
    public const int MaxLength = 253;

    public long ResourceSeq { get; set; }
    public required string Kind { get; set; }
    public required string Key { get; set; }
    public string? Value { get; set; }

    public static void Configure(ModelBuilder modelBuilder) => modelBuilder.Entity<ResourceLabelRow>(e =>
    {
        e.ToTable("resource_labels");
        e.HasKey(l => new { l.ResourceSeq, l.Key });
        e.Property(l => l.Kind).HasMaxLength(40);
        e.Property(l => l.Key).HasMaxLength(MaxLength);
        e.Property(l => l.Value).HasMaxLength(MaxLength);
        e.HasIndex(l => new { l.Kind, l.Key, l.Value, l.ResourceSeq });
        e.HasOne<ResourceRow>().WithMany().HasForeignKey(l => l.ResourceSeq).OnDelete(DeleteBehavior.Cascade);
    });
}
