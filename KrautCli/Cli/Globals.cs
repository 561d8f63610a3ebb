using System.CommandLine;

namespace KrautCli.Cli;

/// <summary>Options every command takes (recursive on the root command).</summary>
public static class Globals
{
    public static readonly Option<string?> Remote = new("--remote", "-r")
    {
        Description = "The remote to talk to (default: KRAUT_REMOTE, then the config's default).", Recursive = true,
    };

    public static readonly Option<string> Output = new("--output", "-o")
    {
        Description = "table, wide, json, yaml or name.", DefaultValueFactory = _ => "table", Recursive = true,
    };

    public static readonly Option<string?> Columns = new("--columns", "-c")
    {
        Description = "Columns to show, by header or JSON path: -c name,status.phase,metadata.env", Recursive = true,
    };

    public static readonly Option<bool> NoHeaders = new("--no-headers") { Description = "Tables without their header line.", Recursive = true };

    public static readonly Option<bool> DryRun = new("--dry-run")
    {
        Description = "Print the HTTP request that would change something (token masked) instead of sending it.", Recursive = true,
    };

    public static void AddTo(RootCommand root)
    {
        root.Options.Add(Remote);
        root.Options.Add(Output);
        root.Options.Add(Columns);
        root.Options.Add(NoHeaders);
        root.Options.Add(DryRun);
    }
}
