namespace KrautPortal.Features.Store;

/// <summary>What a caller does to a kind's objects; a token's scope lists these (and actions such as start).</summary>
public static class Verbs
{
    public const string Read = "read";
    public const string Create = "create";
    public const string Update = "update";
    public const string Delete = "delete";
}
