using System.CommandLine;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Output;
using KrautCli.Resources;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace KrautCli.Watch;

/// <summary>
/// <c>kraut watch KIND [-l selector] [--until-phase X]</c>: the API has no change feed, so the list is polled. On a
/// terminal a live table is redrawn in place; otherwise one line "NAME PHASE" per change, for scripts to follow.
/// Ctrl-C ends it (exit 0); with --until-phase it ends by itself once every listed object has that phase (exit 0) or
/// the timeout passes (exit 1).
/// </summary>
public static class WatchCommand
{
    public static Command Build()
    {
        var kind = new Argument<string>("KIND")
        {
            Description = "vms, images, networks, … (singular or plural).",
            Validators = { r => { if (KindTable.Find(r.GetValueOrDefault<string>() ?? "") is null) r.AddError($"'{r.GetValueOrDefault<string>()}' is not a kind; use {string.Join(", ", KindTable.All.Select(k => k.Command + "s"))}."); } },
        };
        var untilPhase = new Option<string?>("--until-phase") { Description = "Stop (exit 0) once every listed object is in this phase, e.g. running." };
        var interval = new Option<double>("--interval") { Description = "Seconds between two looks (default 1).", DefaultValueFactory = _ => 1 };
        var timeout = new Option<string?>("--timeout") { Description = "With --until-phase: give up (exit 1) after 90s, 5m (default), 1h." };
        var command = new Command("watch", "Follow the objects of a kind as they change (a live table; one line per change when piped).")
        {
            kind, ResourceCommands.Selector, untilPhase, interval, timeout,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(interval) is < 0.1 or > 3600) throw CliException.Usage("--interval is in seconds, from 0.1 to 3600.");
            var watch = new Watcher(KindTable.Find(parse.GetValue(kind)!)!, parse.GetValue(ResourceCommands.Selector), parse.GetValue(untilPhase),
                TimeSpan.FromSeconds(parse.GetValue(interval)), Waiter.ParseTimeout(parse.GetValue(timeout)));
            using var session = Session.Open(parse);
            return Console.IsOutputRedirected ? await watch.LinesAsync(session, ct) : await watch.LiveAsync(session, ct);
        });
        return command;
    }
}

/// <summary>One run of <c>kraut watch</c>: polls, reports, and decides when to stop.</summary>
internal sealed class Watcher(KindDef kind, string? selector, string? untilPhase, TimeSpan interval, TimeSpan timeout)
{
    private readonly Changes _changes = new();
    private List<JsonNode?> _latest = [];

    public async Task<int> LinesAsync(Session session, CancellationToken ct) => await LoopAsync(session, changed =>
    {
        foreach (var seen in changed) session.Out.WriteLine($"{seen.Name} {seen.Phase}");
        session.Out.Flush();
        return Task.CompletedTask;
    }, ct);

    public async Task<int> LiveAsync(Session session, CancellationToken ct)
    {
        var console = AnsiConsole.Console;
        var result = ExitCodes.Done;
        await console.Live(new Text($"Listing {kind.Singular}s …")).AutoClear(false).StartAsync(async live =>
        {
            result = await LoopAsync(session, _ =>
            {
                live.UpdateTarget(Table());
                live.Refresh();
                return Task.CompletedTask;
            }, ct);
        });
        return result;
    }

    private async Task<int> LoopAsync(Session session, Func<IReadOnlyList<Seen>, Task> report, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        try
        {
            while (true)
            {
                var items = await Objects.ListAsync(session.Http, kind, selector, null, ct);
                _latest = items;
                await report(_changes.Next(items));
                if (untilPhase is not null)
                {
                    if (_changes.Current.Count > 0 && _changes.Current.All(s => s.Phase == untilPhase)) return ExitCodes.Done;
                    if (DateTime.UtcNow >= deadline)
                    {
                        var behind = _changes.Current.Where(s => s.Phase != untilPhase).Select(s => $"{s.Name} ({s.Phase})");
                        throw new CliException(_changes.Current.Count == 0
                            ? $"Gave up after {timeout.TotalSeconds:0} s: no {kind.Singular} is listed."
                            : $"Gave up after {timeout.TotalSeconds:0} s: not yet {untilPhase}: {string.Join(", ", behind)}.", ExitCodes.Failed);
                    }
                }
                await Task.Delay(interval, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl-C is how a watch is meant to end.
            return ExitCodes.Done;
        }
    }

    private Table Table()
    {
        var table = new Table().Border(TableBorder.None)
            .Caption($"{_latest.Count} {kind.Singular}s{(selector is null ? "" : $" matching {selector}")}, {DateTime.Now:HH:mm:ss}; Ctrl-C to quit");
        foreach (var column in kind.Columns) table.AddColumn(new TableColumn(column.Header) { NoWrap = true, Padding = new Padding(0, 0, 2, 0) });
        foreach (var item in _latest)
            table.AddRow(kind.Columns.Select(c => (IRenderable)new Text(JsonPath.Cell(JsonPath.Get(item, c.Path))).Overflow(Overflow.Ellipsis)).ToArray());
        return table;
    }
}
