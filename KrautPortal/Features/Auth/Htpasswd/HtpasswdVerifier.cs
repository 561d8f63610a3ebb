using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Auth.Htpasswd;

/// <summary>
/// Checks passwords against an Apache htpasswd file (<c>Auth:Htpasswd:File</c>), with groups from an optional
/// Apache group file (<c>Auth:Htpasswd:GroupsFile</c>). Both are re-read when they change on disk.
/// </summary>
public sealed class HtpasswdVerifier : IPasswordVerifier
{
    private readonly ReloadingFile<IReadOnlyDictionary<string, HtpasswdEntry>>? _users;
    private readonly ReloadingFile<IReadOnlyDictionary<string, IReadOnlyList<string>>>? _groups;
    private readonly ILogger<HtpasswdVerifier> _logger;

    public HtpasswdVerifier(IOptions<AuthOptions> options, TimeProvider time, ILogger<HtpasswdVerifier> logger)
    {
        _logger = logger;
        var o = options.Value.Htpasswd;
        if (!string.IsNullOrWhiteSpace(o.File))
        {
            var path = Path.GetFullPath(o.File);
            _users = new(path, "htpasswd file", text => HtpasswdFiles.ParseUsers(text, path, logger), time, logger);
        }
        if (!string.IsNullOrWhiteSpace(o.GroupsFile))
        {
            var path = Path.GetFullPath(o.GroupsFile);
            _groups = new(path, "htpasswd group file", text => HtpasswdFiles.ParseGroups(text, path, logger), time, logger);
        }
    }

    public string Name => "htpasswd";

    public Task<PasswordCheck> VerifyAsync(string user, string password, CancellationToken ct) => Task.FromResult(Verify(user, password));

    private PasswordCheck Verify(string user, string password)
    {
        if (_users is null) return new PasswordCheck.Unavailable("htpasswd is not configured: set Auth:Htpasswd:File.");
        if (!_users.TryGet(out var users, out var error)) return new PasswordCheck.Unavailable(error + ".");
        if (!users.TryGetValue(user, out var entry))
        {
            // As slow as a wrong password: the time of the answer must not tell which names exist.
            if (Decoy(users) is { } decoy) HtpasswdHash.Verify(password, decoy.Hash, out _);
            return PasswordCheck.UnknownUser.Instance;
        }

        switch (HtpasswdHash.Verify(password, entry.Hash, out var problem))
        {
            case HtpasswdHash.Outcome.Unusable:
                var detail = $"The htpasswd entry for '{user}' (line {entry.Line} of {_users.Path}) {problem}.";
                _logger.LogWarning("{Detail}", detail);
                return new PasswordCheck.UnusableEntry(detail);
            case HtpasswdHash.Outcome.Mismatch:
                return PasswordCheck.WrongPassword.Instance;
        }

        return GroupsOf(user, out var mine, out error) ? new PasswordCheck.Valid(mine) : new PasswordCheck.Unavailable(error + ".");
    }

    /// <summary>The files say whether the user is still there and in which groups; the stamp changes with their password.</summary>
    public Task<UserLookup> LookupAsync(string user, CancellationToken ct)
    {
        if (_users is null) return Task.FromResult<UserLookup>(new UserLookup.CannotTell("htpasswd is not configured."));
        if (!_users.TryGet(out var users, out var error)) return Task.FromResult<UserLookup>(new UserLookup.CannotTell(error + "."));
        if (!users.TryGetValue(user, out var entry)) return Task.FromResult<UserLookup>(UserLookup.Absent.Instance);
        if (!GroupsOf(user, out var groups, out error)) return Task.FromResult<UserLookup>(new UserLookup.CannotTell(error + "."));
        var stamp = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(entry.Hash)))[..16];
        return Task.FromResult<UserLookup>(new UserLookup.Found(groups, stamp));
    }

    private bool GroupsOf(string user, out IReadOnlyList<string> mine, out string? error)
    {
        mine = [];
        error = null;
        if (_groups is null) return true;
        if (!_groups.TryGet(out var groups, out error)) return false;
        mine = groups.TryGetValue(user, out var found) ? found : [];
        return true;
    }

    /// <summary>A real entry of the file to check unknown names against (bcrypt first, as people's are): same method, same cost.</summary>
    private static HtpasswdEntry? Decoy(IReadOnlyDictionary<string, HtpasswdEntry> users) =>
        users.Values.OrderBy(e => e.Hash.StartsWith("$2", StringComparison.Ordinal) ? 0 : 1).ThenBy(e => e.Line).FirstOrDefault();
}
