using System.Net;
using KrautPortal.Features.Firewalls;

namespace KrautPortal.Tests.Firewalls;

/// <summary>Counters read from the JSON the real nft prints for a loaded ruleset that has seen traffic (in a namespace of its own).</summary>
public sealed class NftCountersTests
{
    private static string Ruleset()
    {
        var spec = new FirewallSpec
        {
            Rules = [new FirewallRule { Id = NftRulesetRendererTests.Id(1), Ports = ["80"], RateLimit = new() { NewConnectionsPerSecond = 5 } }],
            Forwards = [new PortForward { Id = NftRulesetRendererTests.Id(2), UpstreamPort = 8080, VmId = NftRulesetRendererTests.Id(3), Port = 80 }],
        };
        return new NftRulesetRenderer().Render(NftRulesetRendererTests.Legs,
            NftRulesetRendererTests.Resolved(spec, targets: new() { [NftRulesetRendererTests.Id(3)] = IPAddress.Parse("10.31.0.5") })).Text;
    }

    /// <summary>A TCP connection attempt to a closed port on loopback: its SYN passes the input chain's loopback rule.</summary>
    private const string Knock = "(echo > /dev/tcp/127.0.0.1/9) 2>/dev/null || true";

    [Fact]
    public void EveryKrautRule_IsReadByItsComment_WithTheTrafficItCounted_AndOtherTablesAreIgnored()
    {
        var json = Nft.LoadAndList(Ruleset(), Knock,
            extra: "table inet mine {\n\tchain c {\n\t\ttype filter hook input priority 10; policy accept;\n\t\tcounter comment \"kraut:fake\"\n\t}\n}\n");

        var counters = NftCounters.Parse(json);

        Assert.True(counters["base:loopback"].Packets >= 1, json);
        Assert.True(counters["base:loopback"].Bytes >= 40, json);
        var rule = NftRulesetRendererTests.Id(1).ToString();
        Assert.Equal(new RuleCounter(0, 0), counters[rule]);
        Assert.Equal(new RuleCounter(0, 0), counters[rule + ":limit"]);
        Assert.Equal(new RuleCounter(0, 0), counters["fwd:" + NftRulesetRendererTests.Id(2)]);
        Assert.Equal(new RuleCounter(0, 0), counters["fwd:" + NftRulesetRendererTests.Id(2) + ":dnat"]);
        Assert.Contains("default:inbound", counters.Keys);
        Assert.Contains("default:outbound", counters.Keys);
        Assert.DoesNotContain("fake", counters.Keys);
    }

    [Fact]
    public void RulesSharingAComment_AreSummed()
    {
        const string loopback = "iifname \"lo\" counter accept comment \"kraut:base:loopback\"";
        var ruleset = Ruleset();
        Assert.Contains(loopback, ruleset, StringComparison.Ordinal);
        // A second, verdict-less rule with the same comment before it counts every packet the first one counts.
        var doubled = ruleset.Replace(loopback, "iifname \"lo\" counter comment \"kraut:base:loopback\"\n\t\t" + loopback, StringComparison.Ordinal);

        var single = NftCounters.Parse(Nft.LoadAndList(ruleset, Knock))["base:loopback"];
        var summed = NftCounters.Parse(Nft.LoadAndList(doubled, Knock))["base:loopback"];

        Assert.True(single.Packets >= 1);
        Assert.Equal(2 * single.Packets, summed.Packets);
        Assert.Equal(2 * single.Bytes, summed.Bytes);
    }

    [Fact]
    public void JsonThatIsNotNfts_IsAFormatError()
    {
        Assert.Throws<FormatException>(() => NftCounters.Parse("{\"something\": []}"));
        Assert.Empty(NftCounters.Parse("{\"nftables\": []}"));
    }
}
