using System.CommandLine;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Http;
using KrautCli.Output;

namespace KrautCli.Resources;

/// <summary><c>kraut KIND list|get|create|patch|edit|delete</c>, the same for every kind of <see cref="KindTable"/>.</summary>
public static class ResourceCommands
{
    public static readonly Option<string?> Selector = new("--selector", "-l") { Description = "Metadata selector: env=prod,tier!=db" };
    public static readonly Option<bool> Wait = new("--wait") { Description = "Follow the change until its status says done or failed." };
    public static readonly Option<string?> Timeout = new("--timeout") { Description = "How long --wait waits: 90s, 5m (default), 1h." };
    public static readonly Option<bool> Yes = new("--yes", "-y") { Description = "Do not ask for confirmation." };

    public static Command For(KindDef kind)
    {
        var command = new Command(kind.Command, $"Work with {kind.Singular}s (/api/v1/{kind.Name}).");
        command.Aliases.Add(kind.Command + "s");
        command.Subcommands.Add(List(kind));
        command.Subcommands.Add(Get(kind));
        command.Subcommands.Add(Create(kind));
        command.Subcommands.Add(Patch(kind));
        command.Subcommands.Add(EditCommand.For(kind));
        command.Subcommands.Add(Delete(kind));
        return command;
    }

    private static Command List(KindDef kind)
    {
        var sort = new Option<string?>("--sort") { Description = "name (default), created or updated; '-' in front for descending." };
        var command = new Command("list", $"List {kind.Singular}s (every page).") { Selector, sort };
        command.Aliases.Add("ls");
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            session.Printer.List(kind, await Objects.ListAsync(session.Http, kind, parse.GetValue(Selector), parse.GetValue(sort), ct));
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Get(KindDef kind)
    {
        var name = new Argument<string>("NAME") { Description = "Name or id." };
        var command = new Command("get", $"Show one {kind.Singular}.") { name };
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            session.Printer.One(kind, await Objects.GetAsync(session.Http, kind, parse.GetValue(name)!, ct));
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Create(KindDef kind)
    {
        var file = new Option<string>("--file", "-f") { Description = "JSON or YAML with name, metadata and spec ('-': standard input).", Required = kind.Name != "vms" };
        var command = new Command("create", $"Create a {kind.Singular} from a file.") { file, Wait, Timeout };
        if (kind.Name == "vms") Vms.VmCreate.AddFlags(command);
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var body = kind.Name == "vms" ? await Vms.VmCreate.BodyAsync(session, parse, parse.GetValue(file), ct) : Documents.Read(parse.GetValue(file)!);
            var created = await session.Http.ChangeAsync(HttpMethod.Post, Routes.Create(kind.Name), body, ct);
            if (created is null) return ExitCodes.Done;
            var answer = created.Body as JsonObject;
            // Tokens answer {token, secret}: the secret is in this answer only, so it is printed whole.
            var record = answer?["token"] as JsonObject ?? answer;
            if (!parse.GetValue(Wait) || record is null)
            {
                session.Printer.One(kind, answer);
                return ExitCodes.Done;
            }
            session.Printer.One(kind, await Waiter.UntilSettledAsync(session.Http, kind, (string)record["id"]!, (long)record["version"]!,
                Waiter.ParseTimeout(parse.GetValue(Timeout)), ct));
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Patch(KindDef kind)
    {
        var name = new Argument<string>("NAME") { Description = "Name or id." };
        var set = new Option<string[]>("--set") { Description = "path=value, e.g. --set spec.memoryMiB=1024 --set metadata.env=prod (null removes).", AllowMultipleArgumentsPerToken = false };
        var file = new Option<string?>("--file", "-f") { Description = "A JSON merge patch (RFC 7396) as JSON or YAML." };
        var command = new Command("patch", $"Change fields of a {kind.Singular} (JSON merge patch).") { name, set, file, Wait, Timeout };
        command.SetAction(async (parse, ct) =>
        {
            var assignments = parse.GetValue(set) ?? [];
            var path = parse.GetValue(file);
            if (assignments.Length == 0 == (path is null)) throw CliException.Usage("Give either --set path=value (one or more) or -f patch.json.");
            var patch = path is null ? Documents.PatchFrom(assignments) : Documents.Read(path);
            using var session = Session.Open(parse);
            var id = await Objects.IdOfAsync(session.Http, kind, parse.GetValue(name)!, ct);
            var patched = await session.Http.ChangeAsync(HttpMethod.Patch, Routes.One(kind.Name, id), patch, ct, KrautHttp.MergePatch);
            if (patched is null) return ExitCodes.Done;
            var record = (JsonObject)patched.Body!;
            if (parse.GetValue(Wait))
                record = await Waiter.UntilSettledAsync(session.Http, kind, id, (long)record["version"]!, Waiter.ParseTimeout(parse.GetValue(Timeout)), ct);
            session.Printer.One(kind, record);
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Delete(KindDef kind)
    {
        var names = new Argument<string[]>("NAME") { Description = "Names or ids.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("delete", $"Delete {kind.Singular}s by name or by selector (-l).") { names, Selector, Yes, Wait, Timeout };
        command.Aliases.Add("rm");
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var targets = await Targets.ResolveAsync(session.Http, kind, parse.GetValue(names) ?? [], parse.GetValue(Selector), ct);
            if (!session.DryRun && !parse.GetValue(Yes) && !Confirm.Ask($"Delete {Targets.Describe(kind, targets)}?"))
                throw new CliException("Nothing deleted.", ExitCodes.Failed);
            var timeout = Waiter.ParseTimeout(parse.GetValue(Timeout));
            return await Targets.ForEachAsync(session, targets, async target =>
            {
                var answer = await session.Http.ChangeAsync(HttpMethod.Delete, Routes.One(kind.Name, target.Id), null, ct);
                if (answer?.Status == 202 && parse.GetValue(Wait)) await Waiter.UntilGoneAsync(session.Http, kind, target.Id, timeout, ct);
                return answer?.Status == 202 && !parse.GetValue(Wait) ? "deleting" : "deleted";
            });
        });
        return command;
    }
}
