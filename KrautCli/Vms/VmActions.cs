using System.CommandLine;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Http;
using KrautCli.Resources;

namespace KrautCli.Vms;

/// <summary><c>kraut vm start|stop|reboot|force-off NAME… | -l selector [--wait]</c>, with a report line per VM.</summary>
public static class VmActions
{
    /// <summary>The actions <c>POST /api/v1/vms/{id}/actions/{action}</c> takes (VmOperations.Actions in the portal).</summary>
    public static readonly string[] Names = ["start", "stop", "reboot", "force-off"];

    public static void AddTo(Command vm, KindDef kind)
    {
        foreach (var action in Names) vm.Subcommands.Add(For(kind, action));
    }

    private static Command For(KindDef kind, string action)
    {
        var names = new Argument<string[]>("NAME") { Description = "VM names or ids.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command(action, $"{char.ToUpperInvariant(action[0])}{action[1..]} VMs by name or by selector (-l).")
        {
            names, ResourceCommands.Selector, ResourceCommands.Wait, ResourceCommands.Timeout,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var selector = parse.GetValue(ResourceCommands.Selector);
            var wait = parse.GetValue(ResourceCommands.Wait);
            var timeout = Waiter.ParseTimeout(parse.GetValue(ResourceCommands.Timeout));
            // Resolved also for a selector: one that matches nothing is "not found" (exit 3), not an empty report.
            var targets = await Targets.ResolveAsync(session.Http, kind, parse.GetValue(names) ?? [], selector, ct);
            if (!string.IsNullOrEmpty(selector) && !wait)
                return await BySelectorAsync(session, action, selector, ct);
            return await Targets.ForEachAsync(session, targets, async target =>
            {
                var answer = await session.Http.ChangeAsync(HttpMethod.Post, Routes.VmAction(target.Id, action), null, ct);
                if (answer is null) return "dry run";
                if (!wait) return "requested";
                var vm = await Waiter.UntilSettledAsync(session.Http, kind, target.Id, (long)answer.Body!["version"]!, timeout, ct);
                return (string?)vm["status"]?["phase"] ?? "done";
            });
        });
        return command;
    }

    /// <summary>One request for every VM the selector matches; the portal answers per VM.</summary>
    private static async Task<int> BySelectorAsync(Session session, string action, string selector, CancellationToken ct)
    {
        var answer = await session.Http.ChangeAsync(HttpMethod.Post, Routes.VmActionBySelector(action, selector), null, ct);
        if (answer is null) return ExitCodes.Done;
        var rows = new JsonArray();
        foreach (var result in answer.Body?.AsArray() ?? [])
        {
            var ok = (bool?)result?["ok"] ?? false;
            rows.Add(new JsonObject
            {
                ["id"] = result?["id"]?.DeepClone(), ["name"] = result?["name"]?.DeepClone(), ["ok"] = ok,
                ["result"] = ok ? "requested" : "failed", ["error"] = result?["error"]?.DeepClone(),
            });
        }
        session.Printer.Document(rows, [new("NAME", "name"), new("RESULT", "result"), new("ERROR", "error")], rows);
        return rows.All(r => (bool)r!["ok"]!) ? ExitCodes.Done : ExitCodes.Failed;
    }
}
