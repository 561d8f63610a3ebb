namespace KrautPortal.Features.Store.Selectors;

/// <summary>Turns a selector into SQL over <c>resources</c> and its <c>resource_labels</c>, with every value a parameter.</summary>
public interface ISelectorSqlDialect
{
    /// <summary>
    /// <c>SELECT r.*</c> of the resources the selector matches; with <paramref name="lead"/>, the query starts from that
    /// requirement's labels (a few objects) instead of walking every object of the kind. With <paramref name="kind"/>, each
    /// label condition names the kind too, so the (Kind, Key, Value) index can serve it as well as the per-object key.
    /// </summary>
    SqlFragment Select(Selector selector, LeadLabel? lead = null, string? kind = null);

    /// <summary>How many objects of <paramref name="kind"/> each requirement's labels name, counting no further than <paramref name="cap"/> + 1: a row ("I" its index, "Value" the count) per requirement.</summary>
    SqlFragment CountLabels(string kind, IReadOnlyList<SelectorRequirement> requirements, int cap);
}

/// <summary>SQL with <c>{0}</c>, <c>{1}</c>... placeholders and the values for them, in order.</summary>
public sealed record SqlFragment(string Sql, IReadOnlyList<object> Parameters);

/// <summary>A requirement (=, in or exists) whose labels name few enough objects of a kind to lead the query.</summary>
public sealed record LeadLabel(string Kind, SelectorRequirement Requirement, LeadMode Mode = LeadMode.StartFrom);

public enum LeadMode
{
    /// <summary>Start from the requirement's labels, fetch those objects and sort them: for a handful.</summary>
    StartFrom,

    /// <summary>Read the requirement's objects once into a set, then walk the name index keeping members: for a few thousand.</summary>
    Set,
}
