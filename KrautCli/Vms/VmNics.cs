using System.CommandLine;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Http;
using KrautCli.Resources;
using static KrautCli.Vms.VmSubResources;

namespace KrautCli.Vms;

/// <summary><c>kraut vm nic list|add|remove VM …</c>: NICs are hot-plugged and unplugged while the VM runs.</summary>
public static class VmNics
{
    private static readonly Column[] Columns = [new("ID", "id"), new("NETWORK", "network"), new("MAC", "mac"), new("IPV4", "ipv4Address"), new("IPV6", "ipv6Address")];

    public static Command Build()
    {
        var command = new Command("nic", "A VM's network interfaces.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Add());
        command.Subcommands.Add(Remove());
        return command;
    }

    private static Command List()
    {
        var vm = VmArgument();
        var command = new Command("list", "The VM's NICs, with their networks by name.") { vm };
        command.Aliases.Add("ls");
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var nics = await ListAsync(session, await VmIdAsync(session, parse, vm, ct), ct);
            // Network names for people; the JSON stays the API's own answer plus that one field.
            var networks = (await Objects.ListAsync(session.Http, KindTable.Find("networks")!, null, null, ct))
                .ToDictionary(n => (string)n!["id"]!, n => (string?)n!["name"]);
            foreach (var nic in nics.OfType<JsonObject>())
                nic["network"] = networks.GetValueOrDefault((string?)nic["networkId"] ?? "") ?? (string?)nic["networkId"];
            session.Printer.Document(nics, Columns, nics);
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Add()
    {
        var vm = VmArgument();
        var network = new Option<string>("--network") { Description = "The network's name or id.", Required = true };
        var mac = new Option<string?>("--mac") { Description = "A MAC such as 52:54:00:12:34:56 (default: chosen by Kraut)." };
        var ipv4 = new Option<string?>("--ipv4") { Description = "A fixed IPv4 address on the network (default: allocated)." };
        var ipv6 = new Option<string?>("--ipv6") { Description = "A fixed IPv6 address (DHCPv6 or static networks)." };
        var command = new Command("add", "Add a NIC on a network (hot-plugged when the VM runs).") { vm, network, mac, ipv4, ipv6 };
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var id = await VmIdAsync(session, parse, vm, ct);
            var body = new JsonObject { ["networkId"] = await Objects.IdOfAsync(session.Http, "networks", parse.GetValue(network)!, ct) };
            if (parse.GetValue(mac) is { } m) body["mac"] = m;
            if (parse.GetValue(ipv4) is { } a4) body["ipv4Address"] = a4;
            if (parse.GetValue(ipv6) is { } a6) body["ipv6Address"] = a6;
            var added = await session.Http.ChangeAsync(HttpMethod.Post, Routes.VmNics(id), body, ct);
            if (added is not null) session.Printer.Document(added.Body, Columns, [added.Body]);
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Remove()
    {
        var vm = VmArgument();
        var nic = new Argument<string>("NIC") { Description = "The NIC's id, MAC or IPv4 address (from `kraut vm nic list`)." };
        var command = new Command("remove", "Remove a NIC (hot-unplugged when the VM runs).") { vm, nic, ResourceCommands.Yes };
        command.Aliases.Add("rm");
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var id = await VmIdAsync(session, parse, vm, ct);
            var target = Pick(await ListAsync(session, id, ct), parse.GetValue(nic)!, "NIC", parse.GetValue(vm)!, "mac", "ipv4Address");
            var describe = $"the NIC {(string?)target["mac"]} ({(string?)target["ipv4Address"] ?? "no IPv4"}) of VM {parse.GetValue(vm)}";
            if (!session.DryRun && !parse.GetValue(ResourceCommands.Yes) && !Confirm.Ask($"Remove {describe}?"))
                throw new CliException("Nothing removed.", ExitCodes.Failed);
            if (await session.Http.ChangeAsync(HttpMethod.Delete, Routes.VmNic(id, (string)target["id"]!), null, ct) is not null)
                await session.Out.WriteLineAsync($"Removed {describe}.");
            return ExitCodes.Done;
        });
        return command;
    }

    private static async Task<JsonArray> ListAsync(Session session, string vmId, CancellationToken ct) =>
        (await session.Http.GetAsync(Routes.VmNics(vmId), ct)).Body as JsonArray ?? [];
}
