namespace KrautPortal.Features.Store.Selectors;

public enum SelectorOperator { Equals, NotEquals, In, NotIn, Exists, NotExists }

/// <summary>One clause of a selector; <see cref="Path"/> holds the dotted key split into its nested segments.</summary>
public sealed record SelectorRequirement(IReadOnlyList<string> Path, SelectorOperator Operator, IReadOnlyList<string> Values)
{
    public string Key => string.Join('.', Path);
}

/// <summary>A parsed Kubernetes-style label selector over metadata: every requirement must hold.</summary>
public sealed record Selector(IReadOnlyList<SelectorRequirement> Requirements)
{
    public static readonly Selector Everything = new([]);
    public bool IsEmpty => Requirements.Count == 0;
}

public sealed class SelectorParseException(string selector, int position, string reason)
    : Exception($"Invalid selector at position {position + 1}: {reason}")
{
    public string SelectorText { get; } = selector;
    public int Position { get; } = position;
    public string Reason { get; } = reason;
}
