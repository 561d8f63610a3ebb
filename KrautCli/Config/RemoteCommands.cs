using System.CommandLine;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Output;
using KrautCli.Resources;

namespace KrautCli.Config;

/// <summary><c>kraut remote add|list|use|remove</c>: the portals in the config file. Tokens are never printed.</summary>
public static class RemoteCommands
{
    public static Command Build()
    {
        var remote = new Command("remote", "The portals kraut talks to (config: $XDG_CONFIG_HOME/kraut/config.yaml).");
        remote.Subcommands.Add(Add());
        remote.Subcommands.Add(List());
        remote.Subcommands.Add(Use());
        remote.Subcommands.Add(Remove());
        return remote;
    }

    private static Command Add()
    {
        var name = new Argument<string>("NAME");
        var url = new Argument<string>("URL") { Description = "The portal's address, e.g. https://kraut.example" };
        var token = new Option<string?>("--token") { Description = "An API token (kept in its own file, mode 0600)." };
        var tokenFile = new Option<string?>("--token-file") { Description = "A file that holds the token (read at each use)." };
        var command = new Command("add", "Add a remote; the first one added becomes the default.") { name, url, token, tokenFile };
        command.SetAction(parse =>
        {
            var remoteName = parse.GetValue(name)!;
            if (remoteName.Length == 0 || remoteName.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) || remoteName.StartsWith('.'))
                throw CliException.Usage($"'{remoteName}' cannot be a remote's name: use letters, digits, '-', '_' and '.'.");
            var address = Remote.ParseUrl(parse.GetValue(url)!);
            if (parse.GetValue(token) is not null && parse.GetValue(tokenFile) is not null)
                throw CliException.Usage("Give --token or --token-file, not both.");
            var config = KrautConfig.Load();
            var entry = new RemoteEntry { Url = address.ToString().TrimEnd('/') };
            if (parse.GetValue(token) is { } secret)
            {
                entry.TokenFile = KrautConfig.TokenPath(remoteName);
                KrautConfig.WriteSecret(entry.TokenFile, secret + "\n");
            }
            else if (parse.GetValue(tokenFile) is { } path)
            {
                if (!File.Exists(path)) throw CliException.Usage($"The token file {path} does not exist.");
                entry.TokenFile = Path.GetFullPath(path);
            }
            var replaced = config.Remotes.ContainsKey(remoteName);
            config.Remotes[remoteName] = entry;
            config.Default ??= remoteName;
            config.Save();
            Console.WriteLine($"Remote {remoteName} {(replaced ? "replaced" : "added")} ({entry.Url}){(config.Default == remoteName ? ", the default" : "")}.");
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "The remotes, which one is the default and where each token is (never the token itself).");
        command.Aliases.Add("ls");
        command.SetAction(parse =>
        {
            var config = KrautConfig.Load();
            var rows = new JsonArray(config.Remotes.Select(r => (JsonNode)new JsonObject
            {
                ["name"] = r.Key,
                ["url"] = r.Value.Url,
                ["default"] = r.Key == config.Default,
                ["token"] = r.Value.Token is { Length: > 0 } ? "inline in config" : r.Value.TokenFile ?? "none",
            }).ToArray());
            var printer = new Printer(Console.Out, Printer.Validate(parse.GetValue(Globals.Output) ?? "table", parse.GetValue(Globals.Columns), parse.GetValue(Globals.NoHeaders)));
            printer.Document(rows, [new("NAME", "name"), new("URL", "url"), new("DEFAULT", "default"), new("TOKEN", "token")], rows);
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Use()
    {
        var name = new Argument<string>("NAME");
        var command = new Command("use", "Make a remote the default.") { name };
        command.SetAction(parse =>
        {
            var config = KrautConfig.Load();
            var remoteName = parse.GetValue(name)!;
            if (!config.Remotes.ContainsKey(remoteName)) throw CliException.NotFound($"There is no remote named '{remoteName}'.");
            config.Default = remoteName;
            config.Save();
            Console.WriteLine($"Remote {remoteName} is now the default.");
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("NAME");
        var command = new Command("remove", "Forget a remote (and the token file kraut made for it).") { name };
        command.Aliases.Add("rm");
        command.SetAction(parse =>
        {
            var config = KrautConfig.Load();
            var remoteName = parse.GetValue(name)!;
            if (!config.Remotes.Remove(remoteName, out var entry)) throw CliException.NotFound($"There is no remote named '{remoteName}'.");
            // Only a token file kraut wrote itself is deleted; a --token-file the user keeps stays.
            if (entry.TokenFile == KrautConfig.TokenPath(remoteName)) File.Delete(entry.TokenFile);
            if (config.Default == remoteName) config.Default = config.Remotes.Keys.FirstOrDefault();
            config.Save();
            Console.WriteLine($"Remote {remoteName} removed.");
            return ExitCodes.Done;
        });
        return command;
    }
}
