using System.Diagnostics;
using System.Text.Json.Nodes;

namespace KrautPortal.Benchmarks.RouterRules;

/// <summary>One rule change: from the moment it was asked for until the first probe that obeyed it.</summary>
public sealed record RuleChangeSample(bool Opens, double ToObeyedMs, double? ToAppliedStatusMs);

/// <summary>
/// Times rule changes on a <see cref="RouterLab"/>'s router: through Kraut (PUT of the firewall) and by hand (<c>nft -f</c>
/// typed into an open SSH shell on the router, geek mode). The change opens or closes one port of the web guest; a probe
/// loop from the internet (new TCP connections, short connect timeout) finds the first connection attempt that gets the
/// new answer. The time is taken at the start of that attempt: its SYN is the first packet that obeyed.
/// </summary>
public sealed class RuleChangeTiming(RouterLab lab, string webIp, int port)
{
    private static readonly TimeSpan ProbeConnect = TimeSpan.FromSeconds(0.5);
    private static readonly TimeSpan GiveUp = TimeSpan.FromMinutes(3);
    private readonly Guid _ruleId = Guid.NewGuid();

    /// <summary>The firewall's rules with the timed rule enabled (port open) or disabled (closed).</summary>
    public IReadOnlyList<JsonObject> Rules(bool open)
    {
        var rule = FirewallJson.Inbound("allow", port);
        rule["id"] = _ruleId.ToString();
        rule["enabled"] = open;
        return [rule];
    }

    /// <summary>Kraut: PUT the firewall, then probe until the port obeys; also when the router's status said applied.</summary>
    public async Task<RuleChangeSample> ThroughKrautAsync(bool open)
    {
        var t0 = Stopwatch.GetTimestamp();
        var version = await lab.SetFirewallAsync(Rules(open));
        var applied = WhenAppliedAsync(version, t0);
        var obeyed = await FirstObeyingProbeAsync(open, t0);
        return new RuleChangeSample(open, obeyed, await applied);
    }

    /// <summary>
    /// By hand: the same ruleset text (<paramref name="rulesetFile"/>, uploaded to the router beforehand) loaded with
    /// <c>nft -f</c> in an SSH shell that is already open, as a person at the router's prompt would.
    /// </summary>
    public async Task<RuleChangeSample> ByHandAsync(Process shell, string rulesetFile, bool open, int iteration)
    {
        var t0 = Stopwatch.GetTimestamp();
        await shell.StandardInput.WriteLineAsync($"nft -f {rulesetFile} && echo KRAUT-BY-HAND-{iteration}");
        await shell.StandardInput.FlushAsync();
        var obeyed = await FirstObeyingProbeAsync(open, t0);
        // The shell's own answer is not what is timed; it is read so the next command starts clean (and a refusal shows).
        var line = await shell.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (line != $"KRAUT-BY-HAND-{iteration}") throw new InvalidOperationException($"nft -f by hand did not succeed: {line} {shell.StandardError.ReadToEnd()}");
        return new RuleChangeSample(open, obeyed, null);
    }

    private async Task<double> FirstObeyingProbeAsync(bool open, long t0)
    {
        var url = $"http://{webIp}:{port}/";
        while (Stopwatch.GetElapsedTime(t0) < GiveUp)
        {
            var sent = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            var probe = await lab.Internet.GetAsync(url, ProbeConnect, lab.Client1);
            if (probe.Answered == open) return sent;
        }
        throw new TimeoutException($"port {port} did not {(open ? "open" : "close")} within {GiveUp.TotalMinutes:0} min");
    }

    private async Task<double?> WhenAppliedAsync(long version, long t0)
    {
        await lab.WaitAppliedAsync(version);
        return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }
}
