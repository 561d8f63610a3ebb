using System.CommandLine;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Http;
using KrautCli.Images;
using KrautCli.Resources;
using static KrautCli.Vms.VmSubResources;

namespace KrautCli.Vms;

/// <summary><c>kraut vm backup list|take|restore|download VM …</c>.</summary>
public static class VmBackups
{
    private static readonly Column[] Columns =
        [new("NAME", "name"), new("PHASE", "status.phase"), new("KIND", "status.kind"), new("SIZE", "status.sizeBytes"), new("COMPLETED", "status.completedAt"), new("ID", "id")];

    private static KindDef Backups => KindTable.Find("backups")!;

    public static Command Build()
    {
        var command = new Command("backup", "A VM's backups.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Take());
        command.Subcommands.Add(Restore());
        command.Subcommands.Add(Download());
        return command;
    }

    private static Command List()
    {
        var vm = VmArgument();
        var command = new Command("list", "The VM's backups, newest first.") { vm };
        command.Aliases.Add("ls");
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var answer = await ListAsync(session, await VmIdAsync(session, parse, vm, ct), ct);
            session.Printer.Document(answer, Columns, answer?["items"]?.AsArray() ?? []);
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Take()
    {
        var vm = VmArgument();
        var kind = new Option<string?>("--kind") { Description = "full or incremental (default: incremental when an earlier backup allows)." };
        kind.AcceptOnlyFromAmong("full", "incremental");
        var note = new Option<string?>("--note") { Description = "A note kept with the backup." };
        var command = new Command("take", "Back the VM up now.") { vm, kind, note, ResourceCommands.Wait, ResourceCommands.Timeout };
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var id = await VmIdAsync(session, parse, vm, ct);
            var body = new JsonObject();
            if (parse.GetValue(kind) is { } k) body["kind"] = k;
            if (parse.GetValue(note) is { } n) body["note"] = n;
            var taken = await session.Http.ChangeAsync(HttpMethod.Post, Routes.VmBackups(id), body, ct);
            if (taken is null) return ExitCodes.Done;
            var backup = (JsonObject)taken.Body!;
            if (parse.GetValue(ResourceCommands.Wait))
            {
                backup = await Waiter.UntilSettledAsync(session.Http, Backups, (string)backup["id"]!, (long)backup["version"]!,
                    Waiter.ParseTimeout(parse.GetValue(ResourceCommands.Timeout)), ct);
            }
            session.Printer.Document(backup, Columns, [backup]);
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Restore()
    {
        var vm = VmArgument();
        var backup = new Argument<string>("BACKUP") { Description = "The backup's name or id." };
        var name = new Option<string?>("--name") { Description = "Restore into a new VM of this name (the backed-up VM's type, networks and metadata)." };
        var over = new Option<bool>("--over") { Description = "Instead: replace the stopped VM's own disk with the backup." };
        var stopped = new Option<bool>("--stopped") { Description = "Leave the new VM stopped." };
        var type = new Option<string?>("--type") { Description = "The new VM's machine type (name or id; default: the backed-up VM's)." };
        var networks = new Option<string[]>("--network") { Description = "A network (name or id) for a NIC of the new VM; repeat for more (default: the backed-up VM's)." };
        var command = new Command("restore", "Restore a backup into a new VM (--name) or over the stopped VM (--over).")
        {
            vm, backup, name, over, stopped, type, networks, ResourceCommands.Yes,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(name) is null == !parse.GetValue(over))
                throw CliException.Usage("Give --name NEW to restore into a new VM, or --over to replace the VM's disk; one of them.");
            if (parse.GetValue(over) && (parse.GetValue(type) is not null || parse.GetValue(networks) is { Length: > 0 }))
                throw CliException.Usage("--type and --network are for a new VM (--name); --over keeps the VM as it is.");
            using var session = Session.Open(parse);
            var target = await PickAsync(session, parse, vm, backup, ct);
            var backupId = (string)target["id"]!;
            if (parse.GetValue(over))
            {
                if (!session.DryRun && !parse.GetValue(ResourceCommands.Yes)
                    && !Confirm.Ask($"Replace the disk of VM {parse.GetValue(vm)} with backup {(string?)target["name"]}? What is on it now is lost."))
                    throw new CliException("Nothing restored.", ExitCodes.Failed);
                if (await session.Http.ChangeAsync(HttpMethod.Post, Routes.BackupRestoreOver(backupId), null, ct) is { } overAnswer)
                    session.Printer.One(VmKind, overAnswer.Body);
                return ExitCodes.Done;
            }
            var body = new JsonObject { ["name"] = parse.GetValue(name), ["start"] = !parse.GetValue(stopped) };
            if (parse.GetValue(type) is { } t) body["machineTypeId"] = await Objects.IdOfAsync(session.Http, "machine-types", t, ct);
            if (parse.GetValue(networks) is { Length: > 0 } wanted)
            {
                var ids = new JsonArray();
                foreach (var network in wanted) ids.Add(await Objects.IdOfAsync(session.Http, "networks", network, ct));
                body["networkIds"] = ids;
            }
            if (await session.Http.ChangeAsync(HttpMethod.Post, Routes.BackupRestore(backupId), body, ct) is { } answer)
                session.Printer.One(VmKind, answer.Body);
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Download()
    {
        var vm = VmArgument();
        var backup = new Argument<string>("BACKUP") { Description = "The backup's name or id." };
        var to = new Option<string?>("--to", "-O") { Description = "The file to write (default: BACKUP-NAME.qcow2 here); an existing file is not overwritten." };
        var command = new Command("download", "Download a backup as one standalone qcow2, with progress.") { vm, backup, to };
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var target = await PickAsync(session, parse, vm, backup, ct);
            var file = parse.GetValue(to) ?? $"{(string?)target["name"]}.qcow2";
            if (File.Exists(file)) throw CliException.Usage($"{file} exists already; give another --to.");
            using var request = new HttpRequestMessage(HttpMethod.Get, Routes.BackupDownload((string)target["id"]!));
            using var response = await session.Http.TransferAsync(request, ct, HttpCompletionOption.ResponseHeadersRead);
            var total = response.Content.Headers.ContentLength ?? (long?)target["status"]?["sizeBytes"] ?? 0;
            var partial = file + ".part";
            try
            {
                await using (var source = await response.Content.ReadAsStreamAsync(ct))
                await using (var sink = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true))
                {
                    await TransferProgress.RunAsync($"Downloading {Path.GetFileName(file)}", total, 0, async report =>
                    {
                        var buffer = new byte[1 << 20];
                        long done = 0;
                        int read;
                        while ((read = await source.ReadAsync(buffer, ct)) > 0)
                        {
                            await sink.WriteAsync(buffer.AsMemory(0, read), ct);
                            done += read;
                            report(done);
                        }
                        return done;
                    });
                }
                File.Move(partial, file);
            }
            catch
            {
                // A half-written file must not pass for the backup.
                File.Delete(partial);
                throw;
            }
            await session.Out.WriteLineAsync($"Backup {(string?)target["name"]} written to {file}.");
            return ExitCodes.Done;
        });
        return command;
    }

    private static async Task<JsonNode> PickAsync(Session session, ParseResult parse, Argument<string> vm, Argument<string> backup, CancellationToken ct)
    {
        var id = await VmIdAsync(session, parse, vm, ct);
        return Pick((await ListAsync(session, id, ct))?["items"]?.AsArray() ?? [], parse.GetValue(backup)!, "backup", parse.GetValue(vm)!, "name");
    }

    private static async Task<JsonNode?> ListAsync(Session session, string vmId, CancellationToken ct) =>
        (await session.Http.GetAsync(Routes.VmBackups(vmId), ct)).Body;
}
