using System.CommandLine;
using KrautCli.Admin;
using KrautCli.Cli;
using KrautCli.Config;
using KrautCli.Http;
using KrautCli.Images;
using KrautCli.Resources;
using KrautCli.Shell;
using KrautCli.Vms;
using KrautCli.Watch;

var root = new RootCommand("kraut: the Kraut Computing portal from the terminal. Exit codes: 0 done, 1 failed, 2 usage or input refused (400, 422), 3 not found, 4 conflict.");
Globals.AddTo(root);
root.Subcommands.Add(RemoteCommands.Build());
foreach (var kind in KindTable.All)
{
    var command = ResourceCommands.For(kind);
    if (kind.Name == "vms") VmActions.AddTo(command, kind);
    if (kind.Name == "vms") VmSubCommands.AddTo(command);
    if (kind.Name == "images") ImageCommands.AddTo(command, kind);
    if (kind.Name == "tokens") TokenCreate.Replace(command, kind);
    if (kind.Name == "networks") command.Subcommands.Add(NetworkAddresses.Build(kind));
    root.Subcommands.Add(command);
}
root.Subcommands.Add(VmConsole.Build());
root.Subcommands.Add(HostCommands.Build());
root.Subcommands.Add(SshKeyCommands.Build());
root.Subcommands.Add(QuotaCommands.Build());
root.Subcommands.Add(ApiCommand.Build());
foreach (var command in HistoryCommands.All()) root.Subcommands.Add(command);
var routes = new Command("api-routes", "The API routes this CLI calls, as OpenAPI names them (for checks against the portal).") { Hidden = true };
routes.SetAction(_ =>
{
    foreach (var route in Routes.All()) Console.WriteLine(route);
});
root.Subcommands.Add(routes);
root.Subcommands.Add(CompletionCommand.Build());
root.Subcommands.Add(WatchCommand.Build());
Completion.AttachTo(root);

var parse = root.Parse(args);
// A completion request ([suggest:N] "kraut vm get w") parses as extra tokens; its action answers it.
if (parse.Errors.Count > 0 && !root.Directives.OfType<System.CommandLine.Completions.SuggestDirective>().Any(d => parse.GetResult(d) is not null))
{
    foreach (var error in parse.Errors) Console.Error.WriteLine($"Error: {error.Message}");
    Console.Error.WriteLine("Run with --help to see the commands and options.");
    return ExitCodes.Usage;
}
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
try
{
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cancel.Token);
}
catch (CliException e)
{
    Console.Error.WriteLine($"Error: {e.Message}");
    foreach (var line in e.Details) Console.Error.WriteLine($"  {line}");
    return e.ExitCode;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("Interrupted.");
    return 130;
}
