using System.CommandLine;
using System.CommandLine.Completions;
using KrautCli.Cli;
using KrautCli.Output;
using KrautCli.Resources;

namespace KrautCli.Shell;

/// <summary>
/// Adds completion sources to the finished command tree: output formats, remotes, kinds, and the names of existing
/// objects for every NAME (and VM) argument. Walking the tree, rather than editing each command, also covers commands
/// added later under a kind.
/// </summary>
public static class Completion
{
    /// <summary>Commands whose NAME is a new name, so existing ones are no help.</summary>
    private static readonly HashSet<string> NewName = ["create"];

    public static void AttachTo(RootCommand root)
    {
        Globals.Output.CompletionSources.Add(OutputOptions.Formats);
        Globals.Remote.CompletionSources.Add(_ => NameCompletion.Remotes());
        foreach (var command in root.Subcommands)
        {
            if (KindTable.Find(command.Name) is { } kind && kind.Command == command.Name) AttachNames(command, kind);
            else if (command.Arguments.FirstOrDefault(a => a.Name == "KIND") is { } kindArgument) AttachKindAndName(command, kindArgument);
        }
    }

    private static void AttachNames(Command command, KindDef kind)
    {
        if (NewName.Contains(command.Name)) return;
        foreach (var argument in command.Arguments)
        {
            if (argument.Name == "NAME") argument.CompletionSources.Add(context => NameCompletion.Names(context, kind));
            else if (argument.Name == "VM") argument.CompletionSources.Add(context => NameCompletion.Names(context, KindTable.Find("vms")!));
        }
        foreach (var sub in command.Subcommands) AttachNames(sub, kind);
    }

    /// <summary>history, diff, revert: KIND then NAME, the names of the kind given before.</summary>
    private static void AttachKindAndName(Command command, Argument kindArgument)
    {
        // System.CommandLine asks every argument of the command; each answers only at its own position.
        kindArgument.CompletionSources.Add(context => NameCompletion.TypingKind(context, kindArgument)
            ? KindTable.All.Select(k => new CompletionItem(k.Command))
            : []);
        foreach (var name in command.Arguments.Where(a => a.Name == "NAME"))
        {
            name.CompletionSources.Add(context => !NameCompletion.TypingKind(context, kindArgument) && NameCompletion.KindOf(context, kindArgument) is { } kind
                ? NameCompletion.Names(context, kind)
                : []);
        }
    }
}
