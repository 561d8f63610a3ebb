using System.Globalization;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Http;

namespace KrautCli.Resources;

/// <summary>
/// <c>--wait</c>: polls an object until its status says the change is done (exit 0) or failed (exit 1), or the
/// timeout passes (exit 1, naming the last phase seen).
/// </summary>
public static class Waiter
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private static readonly HashSet<string> Settled = ["ready", "active", "succeeded", "completed", "done", "available"];
    private static readonly HashSet<string> VmFailed = ["failed", "crashed", "missing"];

    public enum Outcome { Done, Failed, Pending }

    /// <summary>Waits for the object's change at <paramref name="version"/> (or later) to settle; returns the object.</summary>
    public static async Task<JsonObject> UntilSettledAsync(KrautHttp http, KindDef kind, string id, long version, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var current = (JsonObject)(await http.GetAsync(Routes.One(kind.Name, id), ct)).Body!;
            switch (Judge(kind, current, version))
            {
                case Outcome.Done:
                    return current;
                case Outcome.Failed:
                    throw new CliException($"{kind.Singular} {(string?)current["name"]} failed: phase {Phase(current)}{Message(current)}.", ExitCodes.Failed);
            }
            if (DateTime.UtcNow >= deadline)
                throw new CliException($"Gave up waiting after {timeout.TotalSeconds:0} s: {kind.Singular} {(string?)current["name"]} is still {Phase(current)}.", ExitCodes.Failed);
            await Task.Delay(Interval, ct);
        }
    }

    /// <summary>Waits until the object is gone (a delete answered 202 while the real object is torn down).</summary>
    public static async Task UntilGoneAsync(KrautHttp http, KindDef kind, string id, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await http.GetAsync(Routes.One(kind.Name, id), ct);
            }
            catch (CliException e) when (e.ExitCode == ExitCodes.NotFound)
            {
                return;
            }
            if (DateTime.UtcNow >= deadline) throw new CliException($"Gave up waiting after {timeout.TotalSeconds:0} s: {kind.Singular} {id} is still being deleted.", ExitCodes.Failed);
            await Task.Delay(Interval, ct);
        }
    }

    /// <summary>
    /// A VM is done when the reconciler has seen the change (<c>status.observedVersion</c>) and its phase is the power it
    /// was asked for; other kinds when their phase reads ready/active (or they have no phase at all).
    /// </summary>
    public static Outcome Judge(KindDef kind, JsonObject current, long version)
    {
        var phase = Phase(current);
        if (kind.Name == "vms")
        {
            if (VmFailed.Contains(phase)) return Outcome.Failed;
            var observed = (long?)current["status"]?["observedVersion"] ?? 0;
            var power = (string?)current["spec"]?["power"];
            return observed >= version && phase == power ? Outcome.Done : Outcome.Pending;
        }
        if (phase == "failed") return Outcome.Failed;
        return phase.Length == 0 || Settled.Contains(phase) ? Outcome.Done : Outcome.Pending;
    }

    private static string Phase(JsonObject current) => (string?)current["status"]?["phase"] ?? "";

    private static string Message(JsonObject current) =>
        (string?)current["status"]?["message"] is { Length: > 0 } message ? $" ({message})" : "";

    /// <summary><c>90</c> or <c>90s</c>, <c>5m</c>, <c>1h</c>.</summary>
    public static TimeSpan ParseTimeout(string? text)
    {
        if (string.IsNullOrEmpty(text)) return DefaultTimeout;
        var unit = char.IsLetter(text[^1]) ? text[^1] : 's';
        var number = char.IsLetter(text[^1]) ? text[..^1] : text;
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value <= 0)
            throw CliException.Usage($"--timeout {text}: give a duration such as 90s, 5m or 1h.");
        return unit switch
        {
            's' => TimeSpan.FromSeconds(value),
            'm' => TimeSpan.FromMinutes(value),
            'h' => TimeSpan.FromHours(value),
            _ => throw CliException.Usage($"--timeout {text}: the unit must be s, m or h."),
        };
    }
}
