using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Resources;

namespace KrautCli.Admin;

/// <summary>
/// <c>kraut api METHOD PATH [-d JSON|@FILE]</c>: any API route with this remote's credentials, output formats, exit codes
/// and --dry-run, for what has no command of its own (the audit log, capacity, failures, console sessions).
/// </summary>
public static class ApiCommand
{
    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    public static Command Build()
    {
        var method = new Argument<string>("METHOD") { Description = "GET, POST, PUT, PATCH or DELETE." };
        method.AcceptOnlyFromAmong([.. Methods, .. Methods.Select(m => m.ToLowerInvariant())]);
        var path = new Argument<string>("PATH") { Description = "The route with its query, e.g. /api/v1/audit?kind=vms&limit=20." };
        var data = new Option<string?>("--data", "-d") { Description = "The JSON body, or @FILE to read it from a file." };
        var command = new Command("api", "Call any API route (the portal's /api/docs lists them) and print its JSON answer.") { method, path, data };
        command.SetAction(async (parse, ct) =>
        {
            var route = parse.GetValue(path)!;
            if (!route.StartsWith("/api/", StringComparison.Ordinal)) throw CliException.Usage($"{route}: give a path of the API, starting with /api/.");
            JsonNode? body = null;
            if (parse.GetValue(data) is { } given)
            {
                var text = given.StartsWith('@') ? await File.ReadAllTextAsync(given[1..], ct) : given;
                try
                {
                    body = JsonNode.Parse(text);
                }
                catch (JsonException e)
                {
                    throw CliException.Usage($"--data is not JSON: {e.Message}");
                }
            }
            using var session = Session.Open(parse);
            var verb = new HttpMethod(parse.GetValue(method)!.ToUpperInvariant());
            var answer = verb == HttpMethod.Get
                ? await session.Http.GetAsync(route, ct)
                : await session.Http.ChangeAsync(verb, route, body, ct);
            if (answer?.Body is not { } document) return ExitCodes.Done;
            // A route's answer has no table of its own: YAML when asked for, JSON otherwise.
            if (parse.GetValue(Globals.Output) == "yaml") session.Printer.Document(document, [], []);
            else await session.Out.WriteLineAsync(document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Done;
        });
        return command;
    }
}
