namespace KrautPortal.Features.Quotas;

/// <summary>The <c>Quotas</c> configuration section.</summary>
public sealed class QuotaOptions
{
    /// <summary>Whether administrators' own writes are held to quotas too (by default they are not).</summary>
    public bool AdminsBound { get; set; }
}
