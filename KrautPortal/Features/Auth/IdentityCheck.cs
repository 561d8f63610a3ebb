using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Auth;

/// <summary>A session's or token's user, checked again: may they still act, with which groups.</summary>
/// <param name="Refusal">Null when they may; otherwise why not, in words.</param>
/// <param name="Stamp">Changes when the password changes; null when the source cannot tell.</param>
public sealed record IdentityVerdict(string? Refusal, IReadOnlyList<string> Groups, string? Stamp);

/// <summary>
/// Sessions and tokens outlive the password check that made them. This asks the password sources again (at most
/// once per <see cref="AuthOptions.IdentityRecheckSeconds"/> per user) whether the user still exists and what their
/// groups are now. A source that cannot say (LDAP without a lookup account, a source that is down) is trusted with
/// the groups last seen only until <see cref="AuthOptions.UnverifiableIdentityHours"/> after the user's last sign-in.
/// </summary>
public sealed class IdentityCheck(AuthenticatorChain chain, IOptions<AuthOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (UserLookup Lookup, DateTime At)> _recent = new();

    /// <param name="lastKnownGroups">The groups when the session or token was made.</param>
    /// <param name="lastSignIn">When the user last proved their password (asked only if the source cannot tell).</param>
    public async Task<IdentityVerdict> CheckAsync(string user, IReadOnlyList<string> lastKnownGroups,
        Func<CancellationToken, Task<DateTime?>> lastSignIn, CancellationToken ct)
    {
        switch (await LookupAsync(user, ct))
        {
            case UserLookup.Found found:
                return new(null, found.Groups, found.Stamp);
            case UserLookup.CannotTell cannot:
                var window = TimeSpan.FromHours(options.Value.UnverifiableIdentityHours);
                if (await lastSignIn(ct) is { } at && time.GetUtcNow().UtcDateTime - at < window) return new(null, lastKnownGroups, null);
                return new($"'{user}' could not be checked again ({cannot.Reason.TrimEnd('.')}) and last signed in more than {window.TotalHours:0} hours ago; sign in to the portal again.",
                    [], null);
            default:
                return new($"'{user}' is no longer a user.", [], null);
        }
    }

    /// <summary>Forgets what was looked up about a user (after an administrator's action), so the next use asks again.</summary>
    public void Forget(string user) => _recent.TryRemove(user, out _);

    private async Task<UserLookup> LookupAsync(string user, CancellationToken ct)
    {
        // Tokens made with a god token: their creator lives in the configuration, as long as it is listed there.
        if (user.StartsWith("god:", StringComparison.Ordinal))
            return options.Value.GodTokens.Any(g => "god:" + g.Name == user) ? new UserLookup.Found([]) : UserLookup.Absent.Instance;
        var now = time.GetUtcNow().UtcDateTime;
        if (_recent.TryGetValue(user, out var hit) && now - hit.At < TimeSpan.FromSeconds(options.Value.IdentityRecheckSeconds)) return hit.Lookup;

        UserLookup? unsure = null;
        UserLookup result = UserLookup.Absent.Instance;
        foreach (var source in chain.UserSources)
        {
            var lookup = await source.LookupAsync(user, ct);
            if (lookup is UserLookup.Found)
            {
                result = lookup;
                unsure = null;
                break;
            }
            if (lookup is UserLookup.CannotTell) unsure ??= lookup;
        }
        result = unsure ?? result;
        if (_recent.Count > 10_000) _recent.Clear();
        _recent[user] = (result, now);
        return result;
    }
}
