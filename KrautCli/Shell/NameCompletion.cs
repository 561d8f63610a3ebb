using System.CommandLine;
using System.CommandLine.Completions;
using KrautCli.Cli;
using KrautCli.Config;
using KrautCli.Http;
using KrautCli.Output;
using KrautCli.Resources;

namespace KrautCli.Shell;

/// <summary>
/// Completion sources that read the current remote: the names of existing objects of a kind. A TAB must never hang,
/// prompt or print an error into the command line, so any failure (no remote, unreachable, bad token) completes nothing.
/// </summary>
public static class NameCompletion
{
    /// <summary>A TAB waits this long for the portal at most; an answer later than that is worth less than none.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);

    /// <summary>One page is enough to offer: a name beyond the first 500 is typed, not picked from a list.</summary>
    private const int Limit = 500;

    public static IEnumerable<CompletionItem> Names(CompletionContext context, KindDef kind)
    {
        var word = context.WordToComplete;
        try
        {
            using var timeout = new CancellationTokenSource(Budget);
            using var http = new KrautHttp(Remote.Resolve(context.ParseResult.GetValue(Globals.Remote)), dryRun: false, TextWriter.Null);
            var page = http.GetAsync($"{Routes.List(kind.Name)}?limit={Limit}", timeout.Token).GetAwaiter().GetResult().Body;
            return (page?["items"]?.AsArray() ?? [])
                .Select(item => (string?)item?["name"])
                .OfType<string>()
                .Where(name => name.StartsWith(word, StringComparison.Ordinal))
                .Distinct(StringComparer.Ordinal)
                .Select(name => new CompletionItem(name))
                .ToList();
        }
        catch (Exception e) when (e is CliException or OperationCanceledException or HttpRequestException or IOException)
        {
            return [];
        }
    }

    /// <summary>The remotes in the config file, for <c>--remote</c>.</summary>
    public static IEnumerable<string> Remotes()
    {
        try
        {
            return KrautConfig.Load().Remotes.Keys.ToList();
        }
        catch (Exception e) when (e is CliException or IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Whether the word at the cursor is the KIND itself (none given yet, or the one given is being typed).</summary>
    public static bool TypingKind(CompletionContext context, Argument kindArgument) =>
        context.ParseResult.GetResult(kindArgument)?.Tokens is not [var token, ..] || token.Value == context.WordToComplete;

    /// <summary>The kind a command line names in its KIND argument (history, diff, revert), if it names one yet.</summary>
    public static KindDef? KindOf(CompletionContext context, Argument kindArgument) =>
        context.ParseResult.GetResult(kindArgument)?.Tokens is [var token, ..] ? KindTable.Find(token.Value) : null;
}
