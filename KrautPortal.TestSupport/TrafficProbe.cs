namespace KrautPortal.TestSupport;

/// <summary>How a connection attempt ended: answered, refused at once (a TCP reset: nothing listens, or a reject
/// rule), or timed out (dropped on the way).</summary>
public enum ProbeOutcome { Answered, Refused, TimedOut, Failed }

/// <summary>One HTTP request made with curl: how it ended, the status code and body when it was answered.</summary>
public sealed record HttpProbe(ProbeOutcome Outcome, int Status, string Body, string Detail)
{
    public bool Answered => Outcome == ProbeOutcome.Answered;

    public override string ToString() => Outcome == ProbeOutcome.Answered ? $"HTTP {Status}: {Body.Trim()}" : $"{Outcome} ({Detail.Trim()})";

    /// <summary>curl's exit codes: 7 could not connect (refused), 28 timed out; 0 with a status is an answer.</summary>
    internal static HttpProbe FromCurl(ToolOutput output)
    {
        // The body is followed by one line "KRAUT-HTTP-STATUS=NNN" (curl's -w), so the status survives any body.
        const string marker = "\nKRAUT-HTTP-STATUS=";
        var text = "\n" + output.StdOut;
        var at = text.LastIndexOf(marker, StringComparison.Ordinal);
        var body = at >= 0 ? text[1..at] : output.StdOut;
        var status = at >= 0 && int.TryParse(text[(at + marker.Length)..].Trim(), out var s) ? s : 0;
        var outcome = output.ExitCode switch
        {
            0 when status > 0 => ProbeOutcome.Answered,
            7 => ProbeOutcome.Refused,
            28 => ProbeOutcome.TimedOut,
            _ => ProbeOutcome.Failed,
        };
        return new HttpProbe(outcome, status, body, $"curl exit {output.ExitCode}: {output.StdErr}");
    }
}
