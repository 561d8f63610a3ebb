using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Http;

namespace KrautCli.Resources;

/// <summary>Reads objects of a kind: every page of a list, and one object by name or id.</summary>
public static class Objects
{
    /// <summary>The API's largest page; KRAUT_PAGE_SIZE sets a smaller one (tests of the paging, slow links).</summary>
    private static int PageSize =>
        int.TryParse(Environment.GetEnvironmentVariable("KRAUT_PAGE_SIZE"), out var size) && size is > 0 and <= 500 ? size : 500;

    /// <summary>All items, following the API's continue tokens until the last page.</summary>
    public static async Task<List<JsonNode?>> ListAsync(KrautHttp http, KindDef kind, string? selector, string? sort, CancellationToken ct, string? name = null)
    {
        var items = new List<JsonNode?>();
        string? next = null;
        do
        {
            var query = $"?limit={PageSize}"
                + (string.IsNullOrEmpty(selector) ? "" : "&selector=" + Uri.EscapeDataString(selector))
                + (string.IsNullOrEmpty(sort) ? "" : "&sort=" + Uri.EscapeDataString(sort))
                + (name is null ? "" : "&name=" + Uri.EscapeDataString(name))
                + (next is null ? "" : "&continue=" + Uri.EscapeDataString(next));
            var page = (await http.GetAsync(Routes.List(kind.Name) + query, ct)).Body;
            items.AddRange(page?["items"]?.AsArray() ?? []);
            next = (string?)page?["continue"];
        }
        while (!string.IsNullOrEmpty(next));
        return items;
    }

    /// <summary>The object named (or with that id); not found is exit code 3, two of that name is an error naming their ids.</summary>
    public static async Task<JsonObject> GetAsync(KrautHttp http, KindDef kind, string nameOrId, CancellationToken ct)
    {
        var id = await IdOfAsync(http, kind, nameOrId, ct);
        return (await http.GetAsync(Routes.One(kind.Name, id), ct)).Body as JsonObject
            ?? throw new CliException($"The portal sent no {kind.Singular} for {nameOrId}.", ExitCodes.Failed);
    }

    /// <summary>The id of the object of kind <paramref name="kindName"/> (the API's name: "networks") named <paramref name="nameOrId"/>.</summary>
    public static Task<string> IdOfAsync(KrautHttp http, string kindName, string nameOrId, CancellationToken ct) =>
        IdOfAsync(http, KindTable.Find(kindName) ?? throw new ArgumentException($"No kind '{kindName}'.", nameof(kindName)), nameOrId, ct);

    public static async Task<string> IdOfAsync(KrautHttp http, KindDef kind, string nameOrId, CancellationToken ct)
    {
        if (Guid.TryParseExact(nameOrId, "D", out _)) return nameOrId;
        // One small page: ?name= asks the portal for that exact name (one per owner), so no list of every object is read.
        var matches = (await ListAsync(http, kind, null, null, ct, name: nameOrId)).Where(i => (string?)i?["name"] == nameOrId).ToList();
        return matches.Count switch
        {
            0 => throw CliException.NotFound($"There is no {kind.Singular} named '{nameOrId}'."),
            1 => (string)matches[0]!["id"]!,
            _ => throw new CliException($"{matches.Count} {kind.Singular}s are named '{nameOrId}' (different owners); name one by id: "
                + string.Join(", ", matches.Select(m => $"{(string?)m!["id"]} (owner {(string?)m["owner"]})")), ExitCodes.Failed),
        };
    }
}
