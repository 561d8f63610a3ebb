using System.Text;

namespace KrautPortal.Features.Store.Selectors;

/// <summary>
/// SQLite: <c>metadata -> '$."a"."b"'</c> yields the value as JSON text (or NULL when absent), so a
/// selector value matches a JSON string (<c>json_quote(v)</c>) or a number/boolean written the same way.
/// A string is compared by what it says, not how it was written: <c>-></c> keeps a stored escape such as
/// <c>"a\u002Bb"</c> as it is, which <c>json_quote('a+b')</c> never equals, so strings are decoded (<c>->></c>) and
/// quoted again in SQLite's one canonical form. That is the meaning <see cref="SelectorMatcher"/> gives in memory.
/// </summary>
public sealed class SqliteSelectorDialect : ISelectorSqlDialect
{
    public SqlFragment Translate(Selector selector, string metadataColumn)
    {
        var sql = new StringBuilder();
        var parameters = new List<object>();
        string P(object value)
        {
            parameters.Add(value);
            return "{" + (parameters.Count - 1) + "}";
        }

        foreach (var r in selector.Requirements)
        {
            if (sql.Length > 0) sql.Append(" AND ");
            var path = P(JsonPath(r.Path));
            var value = $"(CASE json_type({metadataColumn}, {path}) WHEN 'text' THEN json_quote({metadataColumn} ->> {path}) ELSE {metadataColumn} -> {path} END)";
            string AnyOf() => string.Join(", ", r.Values.SelectMany(v => new[] { $"json_quote({P(v)})", P(v) }));
            sql.Append(r.Operator switch
            {
                SelectorOperator.Exists => $"{value} IS NOT NULL",
                SelectorOperator.NotExists => $"{value} IS NULL",
                SelectorOperator.Equals or SelectorOperator.In => $"{value} IN ({AnyOf()})",
                // Kubernetes semantics: an object without the key matches '!=' and 'notin'.
                SelectorOperator.NotEquals or SelectorOperator.NotIn => $"({value} IS NULL OR {value} NOT IN ({AnyOf()}))",
                _ => throw new ArgumentOutOfRangeException(nameof(selector)),
            });
        }
        return new SqlFragment(sql.ToString(), parameters);
    }

    /// <summary>Each segment is quoted, so '/' or '-' in a key is never read as path syntax.</summary>
    internal static string JsonPath(IReadOnlyList<string> path) => "$" + string.Concat(path.Select(s => ".\"" + s + "\""));
}
