namespace KrautPortal.Features.Store.Selectors;

/// <summary>Turns a selector into a WHERE fragment over the metadata column, in one database's JSON functions.</summary>
public interface ISelectorSqlDialect
{
    /// <summary>Returns SQL with <c>{0}</c>, <c>{1}</c>... placeholders and the values for them, in order.</summary>
    SqlFragment Translate(Selector selector, string metadataColumn);
}

public sealed record SqlFragment(string Sql, IReadOnlyList<object> Parameters);
