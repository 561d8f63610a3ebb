using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Http;

namespace KrautCli.Resources;

/// <summary><c>kraut history|diff|revert KIND NAME …</c>: every kind keeps every version.</summary>
public static class HistoryCommands
{
    private static readonly Column[] HistoryColumns = [new("VERSION", "version"), new("CHANGED", "changedAt"), new("BY", "changedBy"), new("CHANGE", "change")];
    private static readonly Column[] DiffColumns = [new("PATH", "path"), new("KIND", "kind"), new("FROM", "from"), new("TO", "to")];

    private static Argument<string> KindArgument() => new("KIND")
    {
        Description = "vm, image, network, … (singular or plural).",
        Validators = { r => { if (KindTable.Find(r.GetValueOrDefault<string>() ?? "") is null) r.AddError($"'{r.GetValueOrDefault<string>()}' is not a kind; use {string.Join(", ", KindTable.All.Select(k => k.Command))}."); } },
    };

    public static IEnumerable<Command> All() => [History(), Diff(), Revert()];

    private static Command History()
    {
        var kind = KindArgument();
        var name = new Argument<string>("NAME") { Description = "Name or id." };
        var command = new Command("history", "Every version of an object, newest first.") { kind, name };
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var def = KindTable.Find(parse.GetValue(kind)!)!;
            var id = await Objects.IdOfAsync(session.Http, def, parse.GetValue(name)!, ct);
            var history = (await session.Http.GetAsync(Routes.History(def.Name, id), ct)).Body as JsonArray ?? [];
            session.Printer.Document(history, HistoryColumns, history);
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Diff()
    {
        var kind = KindArgument();
        var name = new Argument<string>("NAME") { Description = "Name or id." };
        var from = new Argument<long>("V1") { Description = "The older version." };
        var to = new Argument<long>("V2") { Description = "The newer version." };
        var command = new Command("diff", "What changed between two versions.") { kind, name, from, to };
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var def = KindTable.Find(parse.GetValue(kind)!)!;
            var id = await Objects.IdOfAsync(session.Http, def, parse.GetValue(name)!, ct);
            var diff = (await session.Http.GetAsync(Routes.Diff(def.Name, id, parse.GetValue(from), parse.GetValue(to)), ct)).Body;
            session.Printer.Document(diff, DiffColumns, diff?["changes"]?.AsArray() ?? []);
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Revert()
    {
        var kind = KindArgument();
        var name = new Argument<string>("NAME") { Description = "Name or id." };
        var version = new Argument<long>("VERSION") { Description = "The version to make current again (as a new version)." };
        var command = new Command("revert", "Make a new version equal to an earlier one.") { kind, name, version };
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var def = KindTable.Find(parse.GetValue(kind)!)!;
            var id = await Objects.IdOfAsync(session.Http, def, parse.GetValue(name)!, ct);
            var body = new JsonObject { ["version"] = parse.GetValue(version) };
            var reverted = await session.Http.ChangeAsync(HttpMethod.Post, Routes.Revert(def.Name, id), body, ct);
            if (reverted is not null)
            {
                await session.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{def.Singular} {(string?)reverted.Body?["name"]} reverted to version {parse.GetValue(version)}; now version {(long?)reverted.Body?["version"]}."));
            }
            return ExitCodes.Done;
        });
        return command;
    }
}
