namespace KrautPortal.Features.Quotas;

/// <summary>
/// Whom a quota is for: <c>users/alice</c>, <c>groups/devs</c>, or the defaults <c>defaults/users</c> and <c>defaults/groups</c>.
/// The key is also the stored object's name, so the store's unique names keep one quota per subject.
/// </summary>
public sealed record QuotaSubject(string Type, string Name)
{
    public const string Users = "users";
    public const string Groups = "groups";
    public const string Defaults = "defaults";

    public static readonly QuotaSubject UserDefaults = new(Defaults, Users);
    public static readonly QuotaSubject GroupDefaults = new(Defaults, Groups);

    public string Key => $"{Type}/{Name}";

    public bool IsDefault => Type == Defaults;

    /// <summary>The defaults this subject falls back on; null for a default itself.</summary>
    public QuotaSubject? Fallback => Type switch { Users => UserDefaults, Groups => GroupDefaults, _ => null };

    public override string ToString() => IsDefault ? $"the default for {Name}" : Name;

    public static QuotaSubject User(string name) => new(Users, name);
    public static QuotaSubject Group(string name) => new(Groups, name);

    /// <summary>Why this is no subject, or null.</summary>
    public static string? Problem(string type, string name) => type switch
    {
        Defaults when name is Users or Groups => null,
        Defaults => "Defaults exist for 'users' and 'groups' only.",
        Users or Groups when string.IsNullOrWhiteSpace(name) => "A name is required.",
        Users or Groups when name.Length > 50 => "A user or group name may have at most 50 characters here.",
        Users or Groups => null,
        _ => $"'{type}' is no kind of quota; use users, groups or defaults.",
    };

    public static QuotaSubject? FromKey(string key) =>
        key.IndexOf('/', StringComparison.Ordinal) is var slash and > 0 ? new QuotaSubject(key[..slash], key[(slash + 1)..]) : null;
}
