using System.CommandLine;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Http;
using KrautCli.Resources;

namespace KrautCli.Admin;

/// <summary><c>kraut ssh-key list|add|remove</c>: the SSH public keys on your profile, which new VMs get.</summary>
public static class SshKeyCommands
{
    private static readonly Column[] Columns = [new("ID", "id"), new("TYPE", "type"), new("FINGERPRINT", "fingerprint"), new("COMMENT", "comment")];

    public static Command Build()
    {
        var command = new Command("ssh-key", "The SSH public keys on your profile; new VMs get them.");
        command.Aliases.Add("ssh-keys");

        var list = new Command("list", "Your SSH public keys.");
        list.Aliases.Add("ls");
        list.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var keys = await ListAsync(session, ct);
            session.Printer.Document(keys, Columns, keys);
            return ExitCodes.Done;
        });

        var key = new Argument<string>("KEY") { Description = "A public key file (~/.ssh/id_ed25519.pub) or the key line itself." };
        var add = new Command("add", "Add a public key.") { key };
        add.SetAction(async (parse, ct) =>
        {
            var given = parse.GetValue(key)!;
            var line = File.Exists(given) ? (await File.ReadAllTextAsync(given, ct)).Trim() : given;
            if (line.Contains("PRIVATE KEY", StringComparison.Ordinal))
                throw CliException.Usage($"{given} is a private key; give the public one (the .pub file).");
            using var session = Session.Open(parse);
            var added = await session.Http.ChangeAsync(HttpMethod.Post, Routes.SshKeys, new JsonObject { ["key"] = line }, ct);
            if (added is not null) session.Printer.Document(added.Body, Columns, [added.Body]);
            return ExitCodes.Done;
        });

        var which = new Argument<string>("KEY") { Description = "The key's id, fingerprint or comment (from `kraut ssh-key list`)." };
        var remove = new Command("remove", "Remove a key.") { which };
        remove.Aliases.Add("rm");
        remove.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var wanted = parse.GetValue(which)!;
            var matches = (await ListAsync(session, ct)).Where(k => (string?)k?["id"] == wanted || (string?)k?["fingerprint"] == wanted || (string?)k?["comment"] == wanted).ToList();
            var target = matches.Count switch
            {
                1 => matches[0]!,
                0 => throw CliException.NotFound($"You have no SSH key '{wanted}'; `kraut ssh-key list` shows them."),
                _ => throw CliException.Usage($"{matches.Count} of your keys match '{wanted}'; name one by id or fingerprint."),
            };
            if (await session.Http.ChangeAsync(HttpMethod.Delete, Routes.SshKey((string)target["id"]!), null, ct) is not null)
                await session.Out.WriteLineAsync($"Removed the key {(string?)target["fingerprint"]} ({(string?)target["comment"] ?? "no comment"}).");
            return ExitCodes.Done;
        });

        command.Subcommands.Add(list);
        command.Subcommands.Add(add);
        command.Subcommands.Add(remove);
        return command;
    }

    private static async Task<JsonArray> ListAsync(Session session, CancellationToken ct) =>
        (await session.Http.GetAsync(Routes.SshKeys, ct)).Body as JsonArray ?? [];
}
