using KrautPortal.Features.Store;

namespace KrautPortal.Features.Tokens;

/// <summary>A limited-scope token: what it may do, on which kinds, to objects matching which selector, until when.</summary>
public sealed record TokenSpec
{
    /// <summary>read, create, update, delete, and VM actions: start, stop, reboot, force-off.</summary>
    public required IReadOnlyList<string> Verbs { get; init; }

    public required IReadOnlyList<string> Kinds { get; init; }

    /// <summary>Only objects whose metadata matches (and only such objects may be created).</summary>
    public string? Selector { get; init; }

    public required DateTime ExpiresAt { get; init; }
    public string? Description { get; init; }
}

public sealed record TokenStatus
{
    public DateTime? LastUsedAt { get; init; }
}

/// <summary>The one response that carries a token's secret: the answer to creating it.</summary>
public sealed record CreatedToken(Store.Resource<TokenSpec, TokenStatus> Token, string Secret);

/// <summary>A feature whose objects have actions (start, stop…) a token's scope may name; Tokens does not know the features.</summary>
public interface ITokenActions
{
    IReadOnlyList<string> Actions { get; }
}

/// <summary>Every verb a token may name: the four that every kind has, and the actions features register.</summary>
public sealed class TokenVerbs(IEnumerable<ITokenActions> features)
{
    public static readonly IReadOnlyList<string> Crud = [Verbs.Read, Verbs.Create, Verbs.Update, Verbs.Delete];

    public IReadOnlyList<string> All { get; } = [.. Crud, .. features.SelectMany(f => f.Actions).Distinct()];
}
