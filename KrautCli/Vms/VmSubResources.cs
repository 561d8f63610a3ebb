using System.CommandLine;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Resources;

namespace KrautCli.Vms;

/// <summary>What the VM sub-resource commands share: the VM argument, and finding an item of a VM's list by name or id.</summary>
public static class VmSubResources
{
    public static KindDef VmKind => KindTable.Find("vms")!;

    public static Argument<string> VmArgument() => new("VM") { Description = "The VM's name or id." };

    public static Task<string> VmIdAsync(Session session, ParseResult parse, Argument<string> vm, CancellationToken ct) =>
        Objects.IdOfAsync(session.Http, VmKind, parse.GetValue(vm)!, ct);

    /// <summary>The item whose id (or one of <paramref name="keys"/>, e.g. name or MAC) is <paramref name="wanted"/>; exit 3 naming the VM when none is.</summary>
    public static JsonNode Pick(IEnumerable<JsonNode?> items, string wanted, string what, string vmName, params string[] keys)
    {
        var matches = items.Where(i => i is not null && ((string?)i["id"] == wanted || keys.Any(k => string.Equals((string?)JsonPathOf(i, k), wanted, StringComparison.OrdinalIgnoreCase)))).ToList();
        return matches.Count switch
        {
            1 => matches[0]!,
            0 => throw CliException.NotFound($"VM {vmName} has no {what} '{wanted}'."),
            _ => throw CliException.Usage($"{matches.Count} {what}s of VM {vmName} match '{wanted}'; name one by id: {string.Join(", ", matches.Select(m => (string?)m!["id"]))}."),
        };
    }

    private static JsonNode? JsonPathOf(JsonNode node, string path) => Output.JsonPath.Get(node, path);
}
