using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautPortal.Hypervisor.Routers;
using Xunit.Abstractions;
using static KrautPortal.TestSupport.FirewallJson;

namespace KrautPortal.Tests.Routers;

/// <summary>
/// A firewall's rules judged by real traffic through a real router VM: from "the internet" (a namespace upstream) to
/// the guests behind it, and from the guests out. Every test sets the rules it needs and waits for the router to
/// report them applied before it probes; what it asserts is what the packets did.
/// </summary>
[Collection(TrafficCollection.Name)]
public sealed class TrafficRulesTests(TrafficLab lab, ITestOutputHelper output)
{
    [Fact]
    public async Task GuestsBehindTheRouter_ReachTheInternet_NatedToTheRoutersUpstreamAddress()
    {
        await lab.WaitForConsoleAsync(lab.WebVmId, "KRAUT-TEST-SEEN-AS=", TrafficLab.Boot);
        var line = GuestConsole.Read(lab.Portal.ConsoleFor(lab.WebVmId)).Split('\n').Last(l => l.StartsWith("KRAUT-TEST-SEEN-AS=", StringComparison.Ordinal));
        var seenAs = NetworkNamespace.WhoamiAddress(line["KRAUT-TEST-SEEN-AS=".Length..]);
        output.WriteLine($"the internet saw the web guest ({lab.WebIp}) as {seenAs}");
        Assert.Equal(lab.RouterUpstream, seenAs);
    }

    [Fact]
    public async Task FromUpstream_AnAllowedPortAnswers_ADeniedPortDoesNot_AndARejectedOneIsRefused()
    {
        await lab.ApplyAsync([Inbound("allow", 8080), Inbound("deny", 8081), Inbound("reject", 8083)]);

        var page = await lab.ExpectAnswerAsync(8080);
        Assert.Contains("kraut-port 8080 ok", page.Body, StringComparison.Ordinal);
        // The closed ports are probed at once (the ruleset is in force: 8080 answered), not one after the other.
        await Task.WhenAll(
            lab.ExpectNoAnswerAsync(8081),
            // No rule for 8082: the default inbound policy (deny) drops it.
            lab.ExpectNoAnswerAsync(8082),
            lab.ExpectNoAnswerAsync(8083, expected: ProbeOutcome.Refused));
    }

    [Fact]
    public async Task ARuleLimitedToASourceCidr_LetsOnlyThatSourceThrough()
    {
        await lab.ApplyAsync([Rule("inbound", "allow", "tcp", [8080], sources: [$"{lab.Client1}/32"])]);

        await lab.ExpectAnswerAsync(8080, from: lab.Client1);
        await lab.ExpectNoAnswerAsync(8080, from: lab.Client2);
        await lab.ExpectAnswerAsync(8080, from: lab.Client1);
    }

    [Fact]
    public async Task ARuleWithAVmSelector_StartsMatchingAVmWhenItsMetadataChanges_AndStopsWhenItChangesBack()
    {
        await lab.SetVmMetadataAsync(lab.WebVmId, new JsonObject());
        await lab.ApplyAsync([Rule("inbound", "allow", "tcp", [80], destinationSelector: "role=web")]);
        await Task.WhenAll(lab.ExpectNoAnswerAsync(80), lab.ExpectNoAnswerAsync(80, host: lab.PeerIp));

        await lab.SetVmMetadataAsync(lab.WebVmId, new JsonObject { ["role"] = "web" });
        var page = await lab.ExpectAnswerAsync(80, within: TrafficLab.Apply);
        Assert.Contains("kraut-guest traffic-web ok", page.Body, StringComparison.Ordinal);
        // The rule names role=web, not "everything": the other guest stays closed.
        await lab.ExpectNoAnswerAsync(80, host: lab.PeerIp);

        await lab.SetVmMetadataAsync(lab.WebVmId, new JsonObject { ["role"] = "db" });
        await lab.ExpectStopsAnsweringAsync(80);
        await lab.ExpectNoAnswerAsync(80);
    }

    [Fact]
    public async Task APortForward_ReachesAGuestsWebPage_OnTheRoutersUpstreamAddress()
    {
        await lab.ApplyAsync([], [Forward(8888, lab.WebVmId, 80)]);

        var page = await lab.ExpectAnswerAsync(8888, host: lab.RouterUpstream);
        Assert.Contains("kraut-guest traffic-web ok", page.Body, StringComparison.Ordinal);
        // Only the forwarded port is published.
        await lab.ExpectNoAnswerAsync(8889, host: lab.RouterUpstream, expected: ProbeOutcome.TimedOut);
    }

    [Fact]
    public async Task ARateLimitOfNNewConnectionsPerSecond_LetsThroughAboutNOfABurst()
    {
        const int perSecond = 5, burst = 5, attempts = 30;
        var connect = TimeSpan.FromSeconds(0.9);
        var url = $"http://{lab.WebIp}:8081/";

        // Without the limit the same burst gets through (the guest and the router keep up with it).
        await lab.ApplyAsync([Inbound("allow", 8081)]);
        await lab.ExpectAnswerAsync(8081);
        // 30 curls forked at once on a loaded 2-core CI machine, against TCG guests, sometimes miss the 0.9 s connect
        // window without any limit; the best of three bursts is the baseline the limit is compared with.
        var unlimited = 0;
        for (var round = 0; round < 3 && unlimited < attempts * 8 / 10; round++)
        {
            var answered = await lab.Internet.BurstAsync(url, attempts, connect, lab.Client1);
            output.WriteLine($"no limit, round {round + 1}: {answered} of {attempts} answered");
            unlimited = Math.Max(unlimited, answered);
            if (answered < attempts * 8 / 10) await Task.Delay(TimeSpan.FromSeconds(2));
        }
        Assert.True(unlimited >= attempts * 2 / 3, $"without a limit {unlimited} of {attempts} answered");

        var limit = new JsonObject { ["newConnectionsPerSecond"] = perSecond, ["burst"] = burst };
        await lab.ApplyAsync([Rule("inbound", "allow", "tcp", [8081], rateLimit: limit)]);
        // Let the bucket fill up after the probe that found the rule in force.
        await lab.ExpectAnswerAsync(8081);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var clock = Stopwatch.StartNew();
        var limited = await lab.Internet.BurstAsync(url, attempts, connect, lab.Client1);
        var spread = clock.Elapsed.TotalSeconds;
        // Tokens: the burst, plus the rate for as long as the SYNs kept coming (at most the whole measured time).
        var most = burst + (int)Math.Ceiling(perSecond * spread) + 2;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"limit {perSecond}/s burst {burst}: {limited} of {attempts} answered (burst sent and finished in {spread:0.00} s; at most {most} expected)"));
        Assert.InRange(limited, perSecond / 2, most);
        Assert.True(limited < unlimited / 2, $"the limit let {limited} through, without it {unlimited}");
    }

    [Fact]
    public async Task AReorderThatChangesTheOutcome_ChangesTheTraffic()
    {
        var deny = Inbound("deny", 8080);
        var allow = Inbound("allow", 8080);
        await lab.ApplyAsync([deny, allow]);
        await lab.ExpectNoAnswerAsync(8080);

        await lab.ApplyAsync([allow, deny]);
        await lab.ExpectAnswerAsync(8080);

        await lab.ApplyAsync([deny, allow]);
        await lab.ExpectNoAnswerAsync(8080);
    }

    [Fact]
    public async Task DisablingARule_TakesEffect_AndEnablingItAgainToo()
    {
        var rule = Inbound("allow", 8082);
        await lab.ApplyAsync([rule]);
        await lab.ExpectAnswerAsync(8082);

        var disabled = (JsonObject)rule.DeepClone();
        disabled["enabled"] = false;
        await lab.ApplyAsync([disabled]);
        await lab.ExpectNoAnswerAsync(8082);

        await lab.ApplyAsync([rule]);
        await lab.ExpectAnswerAsync(8082);
    }

    [Fact]
    public async Task RevertToAnOldVersion_RestoresTheOldBehaviour()
    {
        var old = await lab.ApplyAsync([Inbound("allow", 8080)]);
        await lab.ExpectAnswerAsync(8080);
        await lab.ExpectNoAnswerAsync(8081);

        await lab.ApplyAsync([Inbound("allow", 8081)]);
        await lab.ExpectAnswerAsync(8081);
        await lab.ExpectNoAnswerAsync(8080);

        var reverted = await lab.RevertFirewallAsync(old);
        await lab.WaitAppliedAsync(reverted);
        await lab.ExpectAnswerAsync(8080);
        await lab.ExpectNoAnswerAsync(8081);
    }

    [Fact]
    public async Task ThePreviewsRuleset_IsByteForByteWhatTheRouterLoaded()
    {
        await lab.ApplyAsync([Inbound("allow", 8080), Rule("inbound", "allow", "tcp", [8081], sources: [$"{lab.Client1}/32"], comment: "office")],
            [Forward(8888, lab.WebVmId, 80)]);
        var status = await lab.RouterStatusAsync();
        var applied = TrafficLab.Text(status, "appliedHash")!;

        var preview = await lab.PreviewAsync();
        var network = preview.GetProperty("networks").EnumerateArray().Single(n => n.GetProperty("networkId").GetGuid() == lab.InnerNetworkId);
        var ruleset = network.GetProperty("ruleset").GetString()!;
        Assert.Equal(RulesetHash.Of(ruleset), network.GetProperty("hash").GetString());
        Assert.Equal(applied, RulesetHash.Of(ruleset));
        // And that ruleset is the one in force: the office rule lets only its source in.
        await lab.ExpectAnswerAsync(8081, from: lab.Client1);
        await lab.ExpectNoAnswerAsync(8081, from: lab.Client2);
    }

    [Fact]
    public async Task TwoHundredRules_LoadAndAreEnforced_TheLastOnesPortAnswers()
    {
        // 199 rules for ports nothing else uses, then the 200th for 8083.
        var rules = Enumerable.Range(0, 199).Select(i => Rule("inbound", "allow", "tcp", [20000 + i], sources: [$"198.51.100.{i % 250}/32"], comment: $"rule {i + 1}"))
            .Append(Inbound("allow", 8083)).ToList();
        var clock = Stopwatch.StartNew();
        await lab.ApplyAsync(rules);
        output.WriteLine($"200 rules applied {clock.Elapsed.TotalSeconds:0.0} s after the PUT");

        var page = await lab.ExpectAnswerAsync(8083);
        Assert.Contains("kraut-port 8083 ok", page.Body, StringComparison.Ordinal);
        await lab.ExpectNoAnswerAsync(8082);
    }
}
