using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Http;

namespace KrautCli.Resources;

/// <summary>One object a command acts on.</summary>
public sealed record Target(string Id, string Name);

/// <summary>The objects a command acts on (names or a selector), and the per-object report of what happened to each.</summary>
public static class Targets
{
    private static readonly Column[] ReportColumns = [new("NAME", "name"), new("RESULT", "result"), new("ERROR", "error")];

    public static async Task<List<Target>> ResolveAsync(KrautHttp http, KindDef kind, IReadOnlyList<string> names, string? selector, CancellationToken ct)
    {
        if (names.Count > 0 == !string.IsNullOrEmpty(selector))
            throw CliException.Usage($"Name the {kind.Singular}s or give a selector (-l env=test), not both and not neither.");
        if (!string.IsNullOrEmpty(selector))
        {
            var matched = await Objects.ListAsync(http, kind, selector, null, ct);
            if (matched.Count == 0) throw CliException.NotFound($"No {kind.Singular} matches the selector '{selector}'.");
            return matched.Select(m => new Target((string)m!["id"]!, (string)m["name"]!)).ToList();
        }
        var targets = new List<Target>();
        foreach (var name in names) targets.Add(new Target(await Objects.IdOfAsync(http, kind, name, ct), name));
        return targets;
    }

    public static string Describe(KindDef kind, IReadOnlyList<Target> targets) =>
        targets.Count == 1 ? $"{kind.Singular} {targets[0].Name}" : $"{targets.Count} {kind.Singular}s ({string.Join(", ", targets.Select(t => t.Name))})";

    /// <summary>
    /// Runs <paramref name="act"/> on every target, going on after a failure, and prints one report line per object.
    /// Exit code: 0 when all succeeded, else the failures' code when they share one (all not found: 3), else 1.
    /// </summary>
    public static async Task<int> ForEachAsync(Session session, IReadOnlyList<Target> targets, Func<Target, Task<string>> act)
    {
        var report = new JsonArray();
        var codes = new List<int>();
        foreach (var target in targets)
        {
            var row = new JsonObject { ["id"] = target.Id, ["name"] = target.Name };
            try
            {
                row["result"] = await act(target);
                row["ok"] = true;
            }
            catch (CliException e)
            {
                row["result"] = "failed";
                row["ok"] = false;
                row["error"] = string.Join(" ", [e.Message, .. e.Details]);
                codes.Add(e.ExitCode);
            }
            report.Add(row);
        }
        if (session.DryRun) return ExitCodes.Done;
        session.Printer.Document(report, ReportColumns, report);
        if (codes.Count == 0) return ExitCodes.Done;
        return codes.Distinct().Count() == 1 ? codes[0] : ExitCodes.Failed;
    }
}
