using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Http;
using KrautCli.Resources;

namespace KrautCli.Admin;

/// <summary><c>kraut quota mine|list|set|remove</c>: your use against your quotas; administrators set them.</summary>
public static class QuotaCommands
{
    /// <summary>The measures as the API names them, in the portal's order.</summary>
    private static readonly string[] Measures = ["vms", "vcpus", "memoryBytes", "diskBytes", "networks", "imageBytes", "routers", "backupBytes"];

    private static readonly Column[] MineColumns = [new("OWNER", "owner"), new("TYPE", "type"), new("MEASURE", "measure"), new("USED", "used"), new("LIMIT", "limit")];

    private static readonly Column[] ListColumns = [new("TYPE", "type"), new("NAME", "name"), new("LIMITS", "limitsText"), new("UPDATED", "updatedAt")];

    public static Command Build()
    {
        var command = new Command("quota", "Quotas: your use against them (mine); administrators list, set and remove them.");
        command.Aliases.Add("quotas");

        var mine = new Command("mine", "Your use against your quota and your groups' (no limit shown: none).");
        mine.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var standings = (await session.Http.GetAsync(Routes.QuotasMine, ct)).Body as JsonArray ?? [];
            // One row per measure and owner: a table a person reads down.
            var rows = standings.SelectMany(s => Measures.Select(m => (JsonNode?)new JsonObject
            {
                ["owner"] = (string?)s?["owner"], ["type"] = (string?)s?["type"], ["measure"] = m,
                ["used"] = s?["used"]?[m]?.DeepClone(), ["limit"] = s?["limits"]?[m]?.DeepClone(),
            })).ToList();
            session.Printer.Document(standings, MineColumns, rows);
            return ExitCodes.Done;
        });

        var list = new Command("list", "Every quota set (administrators).");
        list.Aliases.Add("ls");
        list.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var quotas = (await session.Http.GetAsync(Routes.Quotas, ct)).Body as JsonArray ?? [];
            foreach (var quota in quotas.OfType<JsonObject>()) quota["limitsText"] = LimitsText(quota["limits"]);
            session.Printer.Document(quotas, ListColumns, quotas);
            return ExitCodes.Done;
        });

        var type = new Argument<string>("TYPE") { Description = "users, groups, or defaults (then NAME is users or groups: the default for each)." };
        var name = new Argument<string>("NAME") { Description = "The user's or group's name." };
        var limits = new Argument<string[]>("LIMIT") { Description = $"measure=number, e.g. vms=10 vcpus=16 memoryBytes=34359738368 ({string.Join(", ", Measures)}).", Arity = ArgumentArity.OneOrMore };
        var set = new Command("set", "Set a quota's limits (administrators); measures left out have no limit of their own.") { type, name, limits };
        set.SetAction(async (parse, ct) =>
        {
            var body = new JsonObject();
            foreach (var pair in parse.GetValue(limits) ?? [])
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                var measure = equals > 0 ? Measures.FirstOrDefault(m => string.Equals(m, pair[..equals], StringComparison.OrdinalIgnoreCase)) : null;
                if (measure is null || !long.TryParse(pair[(equals + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                    throw CliException.Usage($"{pair}: write measure=number with a measure of {string.Join(", ", Measures)}.");
                body[measure] = value;
            }
            using var session = Session.Open(parse);
            var answer = await session.Http.ChangeAsync(HttpMethod.Put, Routes.Quota(parse.GetValue(type)!, parse.GetValue(name)!), new JsonObject { ["limits"] = body }, ct);
            if (answer?.Body is JsonObject quota)
            {
                quota["limitsText"] = LimitsText(quota["limits"]);
                session.Printer.Document(quota, ListColumns, [quota]);
            }
            return ExitCodes.Done;
        });

        var removeType = new Argument<string>("TYPE") { Description = "users, groups or defaults." };
        var removeName = new Argument<string>("NAME") { Description = "The user's or group's name." };
        var remove = new Command("remove", "Remove a quota: its subject falls back to the defaults (administrators).") { removeType, removeName };
        remove.Aliases.Add("rm");
        remove.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            if (await session.Http.ChangeAsync(HttpMethod.Delete, Routes.Quota(parse.GetValue(removeType)!, parse.GetValue(removeName)!), null, ct) is not null)
                await session.Out.WriteLineAsync($"Removed the quota of {parse.GetValue(removeType)} {parse.GetValue(removeName)}; the defaults apply.");
            return ExitCodes.Done;
        });

        command.Subcommands.Add(mine);
        command.Subcommands.Add(list);
        command.Subcommands.Add(set);
        command.Subcommands.Add(remove);
        return command;
    }

    private static string LimitsText(JsonNode? limits) =>
        string.Join(" ", Measures.Where(m => limits?[m] is not null).Select(m => $"{m}={limits![m]!.ToJsonString()}"));
}
