using System.Text.RegularExpressions;

namespace KrautPortal.Features.Store;

/// <summary>
/// The few SQL fragments that differ between SQLite and PostgreSQL, for the store's hand-written queries (aggregates over
/// JSON, status filters, locks). Identifiers are always written quoted ("Kind"): PostgreSQL folds unquoted names to lower
/// case, SQLite accepts both. JSON paths are plain member paths (<c>$.a.b</c>), checked and written into the SQL text,
/// so the expressions match the expression indexes the migrations create (an index serves only the same expression).
/// </summary>
public abstract partial class StoreSql
{
    [GeneratedRegex(@"^\$(\.[A-Za-z][A-Za-z0-9]*)+$")]
    private static partial Regex MemberPath();

    /// <summary>The JSON value at <paramref name="path"/> in <paramref name="column"/> as text (a number as its digits), NULL when absent.</summary>
    public abstract string JsonText(string column, string path);

    /// <summary>The JSON number at <paramref name="path"/>, NULL when absent or not a number.</summary>
    public abstract string JsonNumber(string column, string path);

    /// <summary>Whether the Guid column <paramref name="idColumn"/> equals the id written as text by <paramref name="textExpression"/> (lowercase in JSON).</summary>
    public abstract string IdEqualsText(string idColumn, string textExpression);

    /// <summary>
    /// SQL (one <c>{0}</c> placeholder for the key) that holds a lock on <c>key</c> until the current transaction ends; null
    /// where transactions of this process already run one at a time (SQLite: DatabaseProvider.TransactionQueue).
    /// </summary>
    public abstract string? TransactionLock { get; }

    protected static string[] Members(string path) => MemberPath().IsMatch(path)
        ? path[2..].Split('.')
        : throw new ArgumentException($"Not a plain JSON member path: {path}", nameof(path));
}

/// <summary>SQLite's JSON1 functions; EF stores Guids as uppercase text there.</summary>
public sealed class SqliteStoreSql : StoreSql
{
    public override string JsonText(string column, string path) => $"json_extract({column}, '${string.Concat(Members(path).Select(m => "." + m))}')";

    public override string JsonNumber(string column, string path) => JsonText(column, path);

    public override string IdEqualsText(string idColumn, string textExpression) => $"{idColumn} = upper({textExpression})";

    public override string? TransactionLock => null;
}

/// <summary>
/// PostgreSQL: documents are text columns (byte for byte what SQLite keeps, so LIKE narrowing and stored JSON read the
/// same), cast to jsonb where a value is read; <c>text::jsonb</c> is immutable, so expression indexes over it work.
/// </summary>
public sealed class PostgresStoreSql : StoreSql
{
    public override string JsonText(string column, string path)
    {
        var members = Members(path);
        return members.Length == 1
            ? $"({column}::jsonb ->> '{members[0]}')"
            : $"({column}::jsonb #>> '{{{string.Join(",", members)}}}')";
    }

    public override string JsonNumber(string column, string path)
    {
        var members = Members(path);
        var value = $"{column}::jsonb #> '{{{string.Join(",", members)}}}'";
        return $"(CASE jsonb_typeof({value}) WHEN 'number' THEN ({value})::text::numeric END)";
    }

    // A cast of text that is no uuid would fail the whole query; CASE casts only what has the shape of one.
    public override string IdEqualsText(string idColumn, string textExpression) =>
        $"{idColumn} = (CASE WHEN {textExpression} ~* '^[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}$' THEN ({textExpression})::uuid END)";

    public override string? TransactionLock => "SELECT pg_advisory_xact_lock(hashtext({0}))";
}
