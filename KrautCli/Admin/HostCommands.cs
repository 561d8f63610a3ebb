using System.CommandLine;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Http;
using KrautCli.Resources;

namespace KrautCli.Admin;

/// <summary><c>kraut host list|cordon|uncordon|drain</c>: the libvirt hosts (changes are for administrators).</summary>
public static class HostCommands
{
    private static readonly Column[] Columns =
    [
        new("ID", "id"), new("URI", "uri"), new("REACHABLE", "reachable"), new("DEMO", "isDemo"), new("CORDONED BY", "cordon.by"),
        new("DRAIN", "drainSummary"),
    ];

    public static Command Build()
    {
        var command = new Command("host", "The libvirt hosts Kraut places VMs on.");
        command.Aliases.Add("hosts");
        var list = new Command("list", "Every host: reachable, cordoned, its last drain.");
        list.Aliases.Add("ls");
        list.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var hosts = await ListAsync(session, ct);
            foreach (var host in hosts.OfType<JsonObject>()) host["drainSummary"] = DrainSummary(host["drain"]);
            session.Printer.Document(hosts, Columns, hosts);
            return ExitCodes.Done;
        });
        command.Subcommands.Add(list);
        command.Subcommands.Add(Act("cordon", "Take no new VMs on the host; those on it stay.", Routes.HostCordon));
        command.Subcommands.Add(Act("uncordon", "Let the scheduler place new VMs on the host again.", Routes.HostUncordon));
        command.Subcommands.Add(Act("drain", "Cordon the host and move its VMs elsewhere (running ones live); `kraut host list` shows the progress.", Routes.HostDrain));
        return command;
    }

    private static Command Act(string name, string description, Func<string, string> route)
    {
        var host = new Argument<string>("HOST") { Description = "The host's id or URI (from `kraut host list`)." };
        var command = new Command(name, description) { host };
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var wanted = parse.GetValue(host)!;
            var hosts = await ListAsync(session, ct);
            var target = hosts.FirstOrDefault(h => (string?)h?["id"] == wanted || (string?)h?["uri"] == wanted)
                ?? throw CliException.NotFound($"There is no host '{wanted}'; `kraut host list` shows them.");
            var answer = await session.Http.ChangeAsync(HttpMethod.Post, route((string)target["id"]!), null, ct);
            if (answer?.Body is JsonObject info)
            {
                info["drainSummary"] = DrainSummary(info["drain"]);
                session.Printer.Document(info, Columns, [info]);
            }
            return ExitCodes.Done;
        });
        return command;
    }

    private static async Task<JsonArray> ListAsync(Session session, CancellationToken ct) =>
        (await session.Http.GetAsync(Routes.Hosts, ct)).Body as JsonArray ?? [];

    /// <summary>"2/3 moved" or "done: 3/3 moved"; empty when never drained.</summary>
    private static string? DrainSummary(JsonNode? drain)
    {
        if (drain is null) return null;
        var vms = drain["vms"]?.AsArray() ?? [];
        var moved = vms.Count(v => (string?)v?["state"] is "moved");
        return $"{(drain["finishedAt"] is null ? "" : "done: ")}{moved}/{vms.Count} moved";
    }
}
