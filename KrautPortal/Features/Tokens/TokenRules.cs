using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using KrautPortal.Features.Store.Selectors;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Tokens;

public sealed class TokenRules(DbSession session, KindReader reader, TokenVerbs verbs, TimeProvider time) : IResourceRules<TokenSpec, TokenStatus>
{
    private KrautDbContext db => session.Db;

    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(366);

    public KindInfo Kind => Kinds.Tokens;
    public bool DeletesAsynchronously => false;

    public Task<TokenSpec> PrepareAsync(TokenSpec spec, Resource<TokenSpec, TokenStatus>? existing, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        if (actor.Scope is not null) errors.Add("spec", "A token cannot create or change tokens; log in to the portal to do that.");
        if (spec.Verbs.Count == 0) errors.Add("spec.verbs", "Name at least one verb: " + string.Join(", ", verbs.All) + ".");
        foreach (var verb in spec.Verbs.Where(v => !verbs.All.Contains(v)))
            errors.Add("spec.verbs", $"'{verb}' is not a verb; use {string.Join(", ", verbs.All)}.");
        var tokenable = Kinds.All.Where(k => k != Kinds.Tokens).Select(k => k.Name).ToList();
        if (spec.Kinds.Count == 0) errors.Add("spec.kinds", "Name at least one kind: " + string.Join(", ", tokenable) + ".");
        foreach (var kind in spec.Kinds.Where(k => !tokenable.Contains(k)))
            errors.Add("spec.kinds", $"'{kind}' is not a kind a token may reach; use {string.Join(", ", tokenable)}.");
        if (spec.Selector is { } selector)
        {
            try
            {
                SelectorParser.Parse(selector);
            }
            catch (SelectorParseException e)
            {
                errors.Add("spec.selector", e.Message);
            }
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (spec.ExpiresAt.ToUniversalTime() <= now) errors.Add("spec.expiresAt", "The expiry must be in the future.");
        if (spec.ExpiresAt.ToUniversalTime() > now + MaxLifetime) errors.Add("spec.expiresAt", $"A token may live at most {MaxLifetime.Days} days.");
        if (existing is not null) CheckScopeUnchanged(existing.Spec, spec, errors);
        return Task.FromResult(spec with
        {
            ExpiresAt = spec.ExpiresAt.ToUniversalTime(),
            Verbs = spec.Verbs.Distinct().ToList(),
            Kinds = spec.Kinds.Distinct().ToList(),
        });
    }

    /// <summary>
    /// What a token may do is fixed when it is made: its secret was handed out for that scope, and a change would reach
    /// every script holding it. Only its name, metadata and description change; anything else is a new token.
    /// </summary>
    private static void CheckScopeUnchanged(TokenSpec before, TokenSpec after, ValidationErrors errors)
    {
        const string advice = "A token's scope cannot change after it is made; revoke it and create a new one. Only its name, metadata and description can change.";
        if (!before.Verbs.ToHashSet().SetEquals(after.Verbs)) errors.Add("spec.verbs", advice);
        if (!before.Kinds.ToHashSet().SetEquals(after.Kinds)) errors.Add("spec.kinds", advice);
        if (NullIfBlank(before.Selector) != NullIfBlank(after.Selector)) errors.Add("spec.selector", advice);
        if (before.ExpiresAt.ToUniversalTime() != after.ExpiresAt.ToUniversalTime()) errors.Add("spec.expiresAt", advice);
    }

    private static string? NullIfBlank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    public TokenStatus InitialStatus(TokenSpec spec) => new();

    public Task EnsureDeletableAsync(Resource<TokenSpec, TokenStatus> existing, Actor actor, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Revoking is deleting: the secret goes at once, so the very next request with it is refused.</summary>
    public void Changed(Guid id)
    {
        if (reader.Rows(Kinds.Tokens).Any(r => r.Id == id)) return;
        db.TokenSecrets.Where(t => t.TokenId == id).ExecuteDelete();
    }
}
