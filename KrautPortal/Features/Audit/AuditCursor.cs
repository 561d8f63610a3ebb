using System.Globalization;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Audit;

/// <summary>
/// A position in the merged trail: time, then source, then the source's own sequence, all descending. Each source reads
/// only what lies strictly after the position, so pages neither repeat nor skip entries.
/// </summary>
public readonly record struct AuditCursor(DateTime At, int Rank, long Seq)
{
    public static readonly IReadOnlyList<string> Sources = ["api", "history", "auth", "console"];

    public string Encode() => string.Create(CultureInfo.InvariantCulture, $"{At.Ticks}.{Rank}.{Seq}");

    public static AuditCursor? Decode(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        var parts = text.Split('.');
        if (parts.Length == 3
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) && ticks <= DateTime.MaxValue.Ticks
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var rank) && rank < Sources.Count
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
            return new AuditCursor(new DateTime(ticks, DateTimeKind.Utc), rank, seq);
        throw new BadRequestException("Invalid cursor", $"'{text}' is not a position in the audit trail; pass the 'next' of the previous page as 'before'.");
    }

    /// <summary>For a source of rank <paramref name="rank"/>: its entries at exactly <see cref="At"/> that still come after the position have a Seq below this.</summary>
    public long SeqBelowAt(int rank) => rank < Rank ? long.MaxValue : rank == Rank ? Seq : long.MinValue;
}
