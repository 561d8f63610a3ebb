using System.Diagnostics;
using System.Globalization;

namespace KrautPortal.TestSupport;

/// <summary>
/// Asks a guest's HTTP server for a page again and again, from several places at once (this machine's network
/// namespace and the namespaces of simulated hosts: a guest moving between hosts is reached through the bridge of
/// whichever host it is on), and records when it answered: the longest time without any answer is how long the
/// guest's service was unreachable. Each request is a real curl with a short timeout.
/// </summary>
public sealed class HttpContinuity : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(150);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<(TimeSpan At, string From)> _answers = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly string _url;

    /// <param name="namespaces">Network namespaces to ask from; null stands for this machine's own.</param>
    public HttpContinuity(string guestIp, IReadOnlyList<string?> namespaces)
    {
        Tool.PackagedFile("/usr/bin/curl", "curl");
        Tool.PackagedFile("/usr/bin/nsenter", "util-linux");
        _url = $"http://{guestIp}/";
        foreach (var ns in namespaces) _loops.Add(Task.Run(() => LoopAsync(ns)));
    }

    /// <summary>Time since the probe started, to mark the start and end of what is measured.</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Answers seen from <paramref name="from"/> (a namespace, or "host") after <paramref name="since"/>.</summary>
    public int AnswersFrom(string from, TimeSpan since)
    {
        lock (_answers) return _answers.Count(a => a.From == from && a.At >= since);
    }

    /// <summary>
    /// The longest stretch in [<paramref name="from"/>, <paramref name="to"/>] with no answer from anywhere, counting the
    /// edges: a window without any answer is one gap as long as the window.
    /// </summary>
    public TimeSpan LongestGap(TimeSpan from, TimeSpan to)
    {
        List<TimeSpan> times;
        lock (_answers) times = _answers.Select(a => a.At).Where(t => t >= from && t <= to).Order().ToList();
        var longest = TimeSpan.Zero;
        var previous = from;
        foreach (var t in times.Append(to))
        {
            if (t - previous > longest) longest = t - previous;
            previous = t;
        }
        return longest;
    }

    /// <summary>Waits until an answer came from <paramref name="from"/> after <paramref name="since"/>.</summary>
    public Task WaitForAnswerAsync(string from, TimeSpan since, TimeSpan timeout) =>
        Eventually.WaitUntilAsync(() => AnswersFrom(from, since) > 0, timeout, $"an HTTP answer of the guest seen from {from}");

    private async Task LoopAsync(string? ns)
    {
        var from = ns ?? "host";
        List<string> command = ["-s", "-o", "/dev/null", "--noproxy", "*", "--connect-timeout", "0.5", "-m", "1", "-w", "%{http_code}", _url];
        // curl itself in this machine's namespace; inside another, run by nsenter (lighter than ip netns exec).
        var file = ns is null ? "curl" : "nsenter";
        List<string> args = ns is null ? command : ["--net=/var/run/netns/" + ns, "curl", .. command];
        while (!_stop.IsCancellationRequested)
        {
            var started = _clock.Elapsed;
            try
            {
                var result = await Tool.TryAsync(file, args, _stop.Token);
                if (result.ExitCode == 0 && int.TryParse(result.StdOut.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var status) && status > 0)
                {
                    lock (_answers) _answers.Add((_clock.Elapsed, from));
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var wait = Interval - (_clock.Elapsed - started);
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }
}
