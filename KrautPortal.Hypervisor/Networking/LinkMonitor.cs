using System.Text.RegularExpressions;

namespace KrautPortal.Hypervisor;

/// <summary>
/// Reports the names of links the kernel announces a change for (<c>ip -o monitor link</c>): created, deleted,
/// brought up or down, attached to or detached from a bridge. A bridge deleted under a port shows as a change of the port.
/// </summary>
public static partial class LinkMonitor
{
    /// <summary>Runs for days: nothing is kept of its output, each line goes to the parser as it comes.</summary>
    private static readonly ToolLimits MonitorLimits = new(null, null, null, 0);

    /// <summary>Calls <paramref name="changed"/> with each changed link's name until cancelled or <c>ip</c> exits.</summary>
    public static async Task WatchAsync(Action<string> changed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(changed);
        await ProcessRunner.RunAsync("ip", ["-o", "monitor", "link"], MonitorLimits, line =>
        {
            if (LinkName().Match(line) is { Success: true } m) changed(m.Groups[1].Value);
        }, ct);
    }

    /// <summary>"839: kx1a2b0123456789: &lt;BROADCAST,...&gt; ..." or "Deleted 839: virbr6: ..."; a veth shows as name@peer.</summary>
    [GeneratedRegex(@"^(?:Deleted\s+)?\d+:\s+([^:@\s]+)")]
    private static partial Regex LinkName();
}
