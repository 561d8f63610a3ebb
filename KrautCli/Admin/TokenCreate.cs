using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Http;
using KrautCli.Resources;

namespace KrautCli.Admin;

/// <summary>
/// <c>kraut token create NAME --verbs read,start --kinds vms [--selector env=test] [--expires 30d]</c> (or <c>-f</c>):
/// the secret is in the portal's answer to this one request only, so it is printed here, once, and nowhere else.
/// </summary>
public static class TokenCreate
{
    /// <summary>Replaces the generic <c>token create</c> (file only, whose table had no place for the secret).</summary>
    public static void Replace(Command token, KindDef kind)
    {
        var generic = token.Subcommands.First(c => c.Name == "create");
        token.Subcommands.Remove(generic);
        token.Subcommands.Add(Build(kind));
    }

    private static Command Build(KindDef kind)
    {
        var name = new Argument<string?>("NAME") { Description = "The token's name.", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<string?>("--file", "-f") { Description = "JSON or YAML with name, metadata and spec instead of the flags." };
        var verbs = new Option<string?>("--verbs") { Description = "What it may do: read, create, update, delete, start, stop, … (comma-separated)." };
        var kinds = new Option<string?>("--kinds") { Description = "On which kinds: vms, images, … (comma-separated)." };
        var selector = new Option<string?>("--selector", "-l") { Description = "Only objects whose metadata matches, e.g. env=test." };
        var expires = new Option<string>("--expires") { Description = "How long it lives: 12h, 30d (default), 365d.", DefaultValueFactory = _ => "30d" };
        var description = new Option<string?>("--description") { Description = "What it is for." };
        var command = new Command("create", "Create a limited-scope token; its secret is printed this once.")
        {
            name, file, verbs, kinds, selector, expires, description,
        };
        command.SetAction(async (parse, ct) =>
        {
            JsonObject body;
            if (parse.GetValue(file) is { } path)
            {
                if (parse.GetValue(name) is not null) throw CliException.Usage("Give either -f file or NAME with --verbs and --kinds, not both.");
                body = Documents.Read(path);
            }
            else
            {
                if (parse.GetValue(name) is not { } tokenName || parse.GetValue(verbs) is not { } v || parse.GetValue(kinds) is not { } k)
                    throw CliException.Usage("Give NAME --verbs read,… --kinds vms,… (or -f token.yaml).");
                var spec = new JsonObject
                {
                    ["verbs"] = List(v), ["kinds"] = List(k),
                    ["expiresAt"] = (DateTime.UtcNow + Lifetime(parse.GetValue(expires)!)).ToString("O", CultureInfo.InvariantCulture),
                };
                if (parse.GetValue(selector) is { } s) spec["selector"] = s;
                if (parse.GetValue(description) is { } d) spec["description"] = d;
                body = new JsonObject { ["name"] = tokenName, ["metadata"] = new JsonObject(), ["spec"] = spec };
            }
            using var session = Session.Open(parse);
            var created = await session.Http.ChangeAsync(HttpMethod.Post, Routes.Create(kind.Name), body, ct);
            if (created is null) return ExitCodes.Done;
            if (parse.GetValue(Globals.Output) is "table" or "wide" or "name")
            {
                session.Printer.One(kind, created.Body?["token"]);
                await session.Out.WriteLineAsync($"Secret (shown this once; the portal keeps only its hash): {(string?)created.Body?["secret"]}");
            }
            else
            {
                session.Printer.Document(created.Body, [], []);
            }
            return ExitCodes.Done;
        });
        return command;
    }

    private static JsonArray List(string commaSeparated) =>
        new(commaSeparated.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x => (JsonNode)JsonValue.Create(x)).ToArray());

    /// <summary><c>12h</c>, <c>30d</c>.</summary>
    private static TimeSpan Lifetime(string text)
    {
        var number = text.Length > 1 ? text[..^1] : "";
        if (int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0)
        {
            switch (text[^1])
            {
                case 'h': return TimeSpan.FromHours(value);
                case 'd': return TimeSpan.FromDays(value);
            }
        }
        throw CliException.Usage($"--expires {text}: give hours or days, such as 12h or 30d.");
    }
}
