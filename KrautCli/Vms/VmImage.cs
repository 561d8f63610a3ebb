using System.CommandLine;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Http;
using KrautCli.Resources;
using static KrautCli.Vms.VmSubResources;

namespace KrautCli.Vms;

/// <summary><c>kraut vm image VM --name N [--snapshot S] [--wait]</c>: a new image from a stopped VM's disk, or from one of its snapshots.</summary>
public static class VmImage
{
    public static Command Build()
    {
        var vm = VmArgument();
        var name = new Option<string>("--name") { Description = "The new image's name.", Required = true };
        var description = new Option<string?>("--description") { Description = "What the image is." };
        var snapshot = new Option<string?>("--snapshot") { Description = "Make it from this snapshot (name or id) instead; the VM may run then." };
        var command = new Command("image", "Make an image from the VM's disk (the VM must be stopped) or from one of its snapshots.")
        {
            vm, name, description, snapshot, ResourceCommands.Wait, ResourceCommands.Timeout,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var id = await VmIdAsync(session, parse, vm, ct);
            var body = new JsonObject { ["name"] = parse.GetValue(name) };
            if (parse.GetValue(description) is { } d) body["description"] = d;
            if (parse.GetValue(snapshot) is { } s)
            {
                var snapshots = (await session.Http.GetAsync(Routes.VmSnapshots(id), ct)).Body?["items"]?.AsArray() ?? [];
                body["snapshotId"] = (string?)Pick(snapshots, s, "snapshot", parse.GetValue(vm)!, "name")["id"];
            }
            var made = await session.Http.ChangeAsync(HttpMethod.Post, Routes.VmImage(id), body, ct);
            if (made is null) return ExitCodes.Done;
            var images = KindTable.Find("images")!;
            var image = (JsonObject)made.Body!;
            if (parse.GetValue(ResourceCommands.Wait))
                image = await Waiter.UntilSettledAsync(session.Http, images, (string)image["id"]!, (long)image["version"]!, Waiter.ParseTimeout(parse.GetValue(ResourceCommands.Timeout)), ct);
            session.Printer.One(images, image);
            return ExitCodes.Done;
        });
        return command;
    }
}
