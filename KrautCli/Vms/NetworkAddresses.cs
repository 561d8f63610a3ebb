using System.CommandLine;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Http;
using KrautCli.Resources;

namespace KrautCli.Vms;

/// <summary><c>kraut network addresses NET</c>: who uses which address on a network (host, gateway, every VM's NIC).</summary>
public static class NetworkAddresses
{
    private static readonly Column[] Columns =
        [new("ADDRESS", "address"), new("FAMILY", "family"), new("USED BY", "usedBy"), new("VM", "vmName"), new("MAC", "mac")];

    public static Command Build(KindDef networks)
    {
        var network = new Argument<string>("NETWORK") { Description = "The network's name or id." };
        var command = new Command("addresses", "The addresses in use on the network.") { network };
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var id = await Objects.IdOfAsync(session.Http, networks, parse.GetValue(network)!, ct);
            var addresses = (await session.Http.GetAsync(Routes.NetworkAddresses(id), ct)).Body as JsonArray ?? [];
            session.Printer.Document(addresses, Columns, addresses);
            return ExitCodes.Done;
        });
        return command;
    }
}
