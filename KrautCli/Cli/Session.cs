using System.CommandLine;
using KrautCli.Config;
using KrautCli.Http;
using KrautCli.Output;

namespace KrautCli.Cli;

/// <summary>What one command run needs: the remote's HTTP client and the printer, from the global options.</summary>
public sealed class Session : IDisposable
{
    private Session(KrautHttp http, Printer printer, bool dryRun)
    {
        Http = http;
        Printer = printer;
        DryRun = dryRun;
    }

    public KrautHttp Http { get; }
    public Printer Printer { get; }
    public bool DryRun { get; }
    public TextWriter Out => Printer.Out;

    public static Session Open(ParseResult parse)
    {
        var options = Printer.Validate(parse.GetValue(Globals.Output) ?? "table", parse.GetValue(Globals.Columns), parse.GetValue(Globals.NoHeaders));
        var dryRun = parse.GetValue(Globals.DryRun);
        var output = Console.Out;
        return new Session(new KrautHttp(Remote.Resolve(parse.GetValue(Globals.Remote)), dryRun, output), new Printer(output, options), dryRun);
    }

    public void Dispose() => Http.Dispose();
}
