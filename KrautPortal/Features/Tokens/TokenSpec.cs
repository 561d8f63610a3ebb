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

public static class TokenVerbs
{
    public static readonly IReadOnlyList<string> Crud = ["read", "create", "update", "delete"];
    public static readonly IReadOnlyList<string> All = [.. Crud, .. Vms.VmOperations.Actions];
}
