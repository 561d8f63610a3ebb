using System.CommandLine;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Http;
using KrautCli.Resources;
using static KrautCli.Vms.VmSubResources;

namespace KrautCli.Vms;

/// <summary><c>kraut vm snapshot list|take|revert|delete VM …</c>.</summary>
public static class VmSnapshots
{
    private static readonly Column[] Columns =
        [new("NAME", "name"), new("PHASE", "status.phase"), new("MEMORY", "status.memoryIncluded"), new("CREATED", "status.createdAt"), new("ID", "id")];

    private static KindDef Snapshots => KindTable.Find("snapshots")!;

    public static Command Build()
    {
        var command = new Command("snapshot", "A VM's snapshots.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Take());
        command.Subcommands.Add(Revert());
        command.Subcommands.Add(Delete());
        return command;
    }

    private static Command List()
    {
        var vm = VmArgument();
        var command = new Command("list", "The VM's snapshots, and why a new one is not offered when it is not.") { vm };
        command.Aliases.Add("ls");
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var answer = await ListAsync(session, await VmIdAsync(session, parse, vm, ct), ct);
            session.Printer.Document(answer, Columns, answer?["items"]?.AsArray() ?? []);
            if ((bool?)answer?["offered"] == false && parse.GetValue(Cli.Globals.Output) is "table" or "wide")
                await Console.Error.WriteLineAsync($"No new snapshot now: {(string?)answer?["reason"]}");
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Take()
    {
        var vm = VmArgument();
        var name = new Argument<string>("NAME") { Description = "The snapshot's name." };
        var description = new Option<string?>("--description") { Description = "What it is for." };
        var memory = new Option<bool?>("--memory") { Description = "Include the running VM's memory (default: when it runs); --memory false for disk only." };
        var command = new Command("take", "Take a snapshot now.") { vm, name, description, memory, ResourceCommands.Wait, ResourceCommands.Timeout };
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var id = await VmIdAsync(session, parse, vm, ct);
            var body = new JsonObject { ["name"] = parse.GetValue(name) };
            if (parse.GetValue(description) is { } d) body["description"] = d;
            if (parse.GetValue(memory) is { } m) body["includeMemory"] = m;
            var taken = await session.Http.ChangeAsync(HttpMethod.Post, Routes.VmSnapshots(id), body, ct);
            if (taken is null) return ExitCodes.Done;
            var snapshot = (JsonObject)taken.Body!;
            if (parse.GetValue(ResourceCommands.Wait))
            {
                snapshot = await Waiter.UntilSettledAsync(session.Http, Snapshots, (string)snapshot["id"]!, (long)snapshot["version"]!,
                    Waiter.ParseTimeout(parse.GetValue(ResourceCommands.Timeout)), ct);
            }
            session.Printer.Document(snapshot, Columns, [snapshot]);
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Revert()
    {
        var vm = VmArgument();
        var snapshot = new Argument<string>("SNAPSHOT") { Description = "The snapshot's name or id." };
        var command = new Command("revert", "Put the VM back to a snapshot; what changed since is lost.")
        {
            vm, snapshot, ResourceCommands.Yes, ResourceCommands.Wait, ResourceCommands.Timeout,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var id = await VmIdAsync(session, parse, vm, ct);
            var target = Pick((await ListAsync(session, id, ct))?["items"]?.AsArray() ?? [], parse.GetValue(snapshot)!, "snapshot", parse.GetValue(vm)!, "name");
            if (!session.DryRun && !parse.GetValue(ResourceCommands.Yes)
                && !Confirm.Ask($"Revert VM {parse.GetValue(vm)} to snapshot {(string?)target["name"]}? What changed since is lost."))
                throw new CliException("Nothing reverted.", ExitCodes.Failed);
            var answer = await session.Http.ChangeAsync(HttpMethod.Post, Routes.VmSnapshotRevert(id, (string)target["id"]!), null, ct);
            if (answer is null) return ExitCodes.Done;
            if (parse.GetValue(ResourceCommands.Wait))
                await UntilRevertedAsync(session, (string)target["id"]!, Waiter.ParseTimeout(parse.GetValue(ResourceCommands.Timeout)), ct);
            await session.Out.WriteLineAsync(parse.GetValue(ResourceCommands.Wait)
                ? $"VM {parse.GetValue(vm)} is back at snapshot {(string?)target["name"]}."
                : $"VM {parse.GetValue(vm)} is being reverted to snapshot {(string?)target["name"]}.");
            return ExitCodes.Done;
        });
        return command;
    }

    /// <summary>The reconciler has carried out the revert once the snapshot's observed generation reaches the asked one.</summary>
    private static async Task UntilRevertedAsync(Session session, string snapshotId, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var current = (await session.Http.GetAsync(Routes.One(Snapshots.Name, snapshotId), ct)).Body;
            if ((long?)current?["status"]?["observedRevertGeneration"] >= (long?)current?["spec"]?["revertGeneration"]) return;
            if ((string?)current?["status"]?["error"] is { Length: > 0 } error) throw new CliException($"The revert failed: {error}", ExitCodes.Failed);
            if (DateTime.UtcNow >= deadline) throw new CliException($"Gave up waiting after {timeout.TotalSeconds:0} s for the revert.", ExitCodes.Failed);
            await Task.Delay(500, ct);
        }
    }

    private static Command Delete()
    {
        var vm = VmArgument();
        var snapshot = new Argument<string>("SNAPSHOT") { Description = "The snapshot's name or id." };
        var command = new Command("delete", "Delete a snapshot.") { vm, snapshot, ResourceCommands.Yes, ResourceCommands.Wait, ResourceCommands.Timeout };
        command.Aliases.Add("rm");
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var id = await VmIdAsync(session, parse, vm, ct);
            var target = Pick((await ListAsync(session, id, ct))?["items"]?.AsArray() ?? [], parse.GetValue(snapshot)!, "snapshot", parse.GetValue(vm)!, "name");
            if (!session.DryRun && !parse.GetValue(ResourceCommands.Yes) && !Confirm.Ask($"Delete snapshot {(string?)target["name"]} of VM {parse.GetValue(vm)}?"))
                throw new CliException("Nothing deleted.", ExitCodes.Failed);
            var answer = await session.Http.ChangeAsync(HttpMethod.Delete, Routes.One(Snapshots.Name, (string)target["id"]!), null, ct);
            if (answer is null) return ExitCodes.Done;
            var wait = parse.GetValue(ResourceCommands.Wait) && answer.Status == 202;
            if (wait) await Waiter.UntilGoneAsync(session.Http, Snapshots, (string)target["id"]!, Waiter.ParseTimeout(parse.GetValue(ResourceCommands.Timeout)), ct);
            await session.Out.WriteLineAsync($"Snapshot {(string?)target["name"]} {(answer.Status == 202 && !wait ? "is being deleted" : "deleted")}.");
            return ExitCodes.Done;
        });
        return command;
    }

    private static async Task<JsonNode?> ListAsync(Session session, string vmId, CancellationToken ct) =>
        (await session.Http.GetAsync(Routes.VmSnapshots(vmId), ct)).Body;
}
