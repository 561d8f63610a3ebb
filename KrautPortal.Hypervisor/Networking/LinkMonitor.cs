using System.Diagnostics;
using System.Text.RegularExpressions;

namespace KrautPortal.Hypervisor;

/// <summary>
/// Reports the names of links the kernel announces a change for (<c>ip -o monitor link</c>): created, deleted,
/// brought up or down, attached to or detached from a bridge. A bridge deleted under a port shows as a change of the port.
/// </summary>
public static partial class LinkMonitor
{
    /// <summary>Calls <paramref name="changed"/> with each changed link's name until cancelled or <c>ip</c> exits.</summary>
    public static async Task WatchAsync(Action<string> changed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(changed);
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-o", "monitor", "link"]) start.ArgumentList.Add(a);
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start) ?? throw new VxlanException("Could not start ip monitor.");
        _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(ct) is { } line)
            {
                if (LinkName().Match(line) is { Success: true } m) changed(m.Groups[1].Value);
            }
        }
        finally
        {
            // Ours to stop: the one process started above, by its handle.
            if (!process.HasExited) process.Kill();
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>"839: kx1a2b0123456789: &lt;BROADCAST,...&gt; ..." or "Deleted 839: virbr6: ..."; a veth shows as name@peer.</summary>
    [GeneratedRegex(@"^(?:Deleted\s+)?\d+:\s+([^:@\s]+)")]
    private static partial Regex LinkName();
}
