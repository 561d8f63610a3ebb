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

    public HtpasswdVerifier(IOptions<AuthOptions> options, TimeProvider time, ILogger<HtpasswdVerifier> logger)
    {
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
        if (!users.TryGetValue(user, out var entry)) return PasswordCheck.UnknownUser.Instance;

        switch (HtpasswdHash.Verify(password, entry.Hash, out var problem))
        {
            case HtpasswdHash.Outcome.Unusable:
                return new PasswordCheck.Unavailable($"The htpasswd entry for '{user}' (line {entry.Line} of {_users.Path}) {problem}.");
            case HtpasswdHash.Outcome.Mismatch:
                return PasswordCheck.WrongPassword.Instance;
        }

        if (_groups is null) return new PasswordCheck.Valid([]);
        if (!_groups.TryGet(out var groups, out error)) return new PasswordCheck.Unavailable(error + ".");
        return new PasswordCheck.Valid(groups.TryGetValue(user, out var mine) ? mine : []);
    }
}
