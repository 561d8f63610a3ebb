using System.Text;

namespace KrautPortal.Features.Store.Selectors;

/// <summary>
/// Selectors as plain relational SQL against <see cref="ResourceLabelRow"/> (<c>resource_labels</c>), the same text on
/// SQLite and PostgreSQL: each requirement is an EXISTS or NOT EXISTS on one object's label, found by its key
/// (ResourceSeq, Key); a selective one may instead lead the query through (Kind, Key, Value, ResourceSeq), either as
/// where it starts or as a set of objects read once (<see cref="LeadMode"/>).
/// A selector value matches a label value equal to it: a string as it reads, or a number, boolean or null as written in
/// JSON, the meaning <see cref="SelectorMatcher"/> gives in memory. Kubernetes semantics: an object without the key
/// matches '!=' and 'notin'.
/// </summary>
public sealed class LabelSelectorSql : ISelectorSqlDialect
{
    public SqlFragment Select(Selector selector, LeadLabel? lead = null, string? kind = null)
    {
        var sql = new StringBuilder();
        var parameters = new List<object>();
        string P(object value)
        {
            parameters.Add(value);
            return "{" + (parameters.Count - 1) + "}";
        }

        var conditions = new List<string>();
        if (lead is null)
        {
            sql.Append("SELECT r.* FROM \"resources\" AS r");
        }
        else if (lead.Mode == LeadMode.Set)
        {
            sql.Append("SELECT r.* FROM \"resources\" AS r");
            conditions.Add($"r.\"Seq\" IN (SELECT lead.\"ResourceSeq\" FROM \"resource_labels\" AS lead WHERE {LabelCondition("lead", lead.Kind, lead.Requirement, P)})");
        }
        else
        {
            // Written as a join in WHERE (no ON) so SQLite keeps "lead" as the outer loop (CROSS JOIN) and PostgreSQL reads
            // it as an ordinary join it plans by its statistics.
            sql.Append("SELECT r.* FROM \"resource_labels\" AS lead CROSS JOIN \"resources\" AS r");
            conditions.Add("r.\"Seq\" = lead.\"ResourceSeq\"");
            conditions.Add(LabelCondition("lead", lead.Kind, lead.Requirement, P));
        }
        foreach (var r in selector.Requirements)
        {
            if (lead is not null && r == lead.Requirement) continue;
            // The kind, when known, lets PostgreSQL answer a requirement from the (Kind, Key, Value) index as a whole (a semi-join
            // over its labels) instead of reading every label with that key when it prefers that to probing object by object.
            var ofKind = kind is null ? "" : $" AND l.\"Kind\" = {P(kind)}";
            var label = $"SELECT 1 FROM \"resource_labels\" AS l WHERE l.\"ResourceSeq\" = r.\"Seq\" AND l.\"Key\" = {P(r.Key)}{ofKind}";
            string In() => $" AND l.\"Value\" IN ({string.Join(", ", r.Values.Select(P))})";
            conditions.Add(r.Operator switch
            {
                SelectorOperator.Exists => $"EXISTS ({label})",
                SelectorOperator.NotExists => $"NOT EXISTS ({label})",
                SelectorOperator.Equals or SelectorOperator.In => $"EXISTS ({label}{In()})",
                SelectorOperator.NotEquals or SelectorOperator.NotIn => $"NOT EXISTS ({label}{In()})",
                _ => throw new ArgumentOutOfRangeException(nameof(selector)),
            });
        }
        if (conditions.Count > 0) sql.Append(" WHERE ").AppendJoin(" AND ", conditions);
        return new SqlFragment(sql.ToString(), parameters);
    }

    public SqlFragment CountLabels(string kind, IReadOnlyList<SelectorRequirement> requirements, int cap)
    {
        var parameters = new List<object>();
        string P(object value)
        {
            parameters.Add(value);
            return "{" + (parameters.Count - 1) + "}";
        }
        var counts = requirements.Select((r, i) =>
            $"SELECT {i} AS \"I\", (SELECT CAST(COUNT(*) AS INTEGER) FROM (SELECT 1 AS \"X\" FROM \"resource_labels\" AS l WHERE {LabelCondition("l", kind, r, P)} LIMIT {cap + 1}) AS c) AS \"Value\"");
        return new SqlFragment(string.Join(" UNION ALL ", counts), parameters);
    }

    /// <summary>The labels of <paramref name="kind"/> that satisfy an '=', 'in' or 'exists' requirement.</summary>
    private static string LabelCondition(string alias, string kind, SelectorRequirement r, Func<object, string> p)
    {
        var sql = $"{alias}.\"Kind\" = {p(kind)} AND {alias}.\"Key\" = {p(r.Key)}";
        return r.Operator switch
        {
            SelectorOperator.Exists => sql,
            SelectorOperator.Equals or SelectorOperator.In => $"{sql} AND {alias}.\"Value\" IN ({string.Join(", ", r.Values.Select(p))})",
            _ => throw new ArgumentException($"a '{r.Operator}' requirement cannot lead a query", nameof(r)),
        };
    }
}
