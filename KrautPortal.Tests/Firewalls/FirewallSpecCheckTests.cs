using KrautPortal.Features.Firewalls;
using KrautPortal.Features.Store;

namespace KrautPortal.Tests.Firewalls;

/// <summary>A firewall spec on its own: every refusal names its field, and what passes is stored in canonical form with ids.</summary>
public sealed class FirewallSpecCheckTests
{
    private static IReadOnlyDictionary<string, string[]> Errors(FirewallSpec spec)
    {
        var errors = new ValidationErrors();
        FirewallSpecCheck.Check(spec, errors);
        try
        {
            errors.ThrowIfAny();
            return new Dictionary<string, string[]>();
        }
        catch (ValidationException e)
        {
            return e.Errors;
        }
    }

    private static void AssertRefused(FirewallSpec spec, string field, string says)
    {
        var errors = Errors(spec);
        Assert.True(errors.ContainsKey(field), $"no error for {field}; got {string.Join("; ", errors.Select(e => e.Key + ": " + string.Join(" ", e.Value)))}");
        Assert.Contains(errors[field], m => m.Contains(says, StringComparison.Ordinal));
    }

    private static FirewallSpec OneRule(FirewallRule rule) => new() { Rules = [new FirewallRule(), new FirewallRule(), rule] };

    [Fact]
    public void AValidSpec_GetsIdsAndCanonicalForms()
    {
        var errors = new ValidationErrors();
        var spec = FirewallSpecCheck.Check(new FirewallSpec
        {
            Rules = [new FirewallRule { Ports = [" 80 ", "8000-8080"], Sources = ["10.0.0.0/8", "192.0.2.7/32", "2001:DB8::/32"], SourceSelector = "  role=web ", Comment = " " }],
            Forwards = [new PortForward { UpstreamPort = 8080, VmId = Guid.NewGuid(), Port = 80 }],
        }, errors);

        Assert.False(errors.Any);
        var rule = Assert.Single(spec.Rules);
        Assert.NotEqual(Guid.Empty, rule.Id);
        Assert.NotEqual(Guid.Empty, spec.Forwards[0].Id);
        Assert.Equal(["80", "8000-8080"], rule.Ports);
        Assert.Equal(["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"], rule.Sources);
        Assert.Equal("role=web", rule.SourceSelector);
        Assert.Null(rule.Comment);
        Assert.Null(rule.RateLimit);
    }

    [Theory]
    [InlineData("70000", "1 to 65535")]
    [InlineData("0", "1 to 65535")]
    [InlineData("9000-8000", "ends before it starts")]
    [InlineData("http", "is not a port")]
    [InlineData("1-2-3", "is not a port")]
    public void BadPorts_AreRefusedByIndex(string port, string says) =>
        AssertRefused(OneRule(new FirewallRule { Ports = ["22", port] }), "spec.rules[2].ports[1]", says);

    [Theory]
    [InlineData(RuleProtocol.Icmp)]
    [InlineData(RuleProtocol.Any)]
    [InlineData(RuleProtocol.Icmpv6)]
    public void Ports_NeedTcpOrUdp(RuleProtocol protocol) =>
        AssertRefused(OneRule(new FirewallRule { Protocol = protocol, Ports = ["80"] }), "spec.rules[2].ports[0]", "need protocol tcp or udp");

    [Theory]
    [InlineData("10.0.0.0/33", "prefix length")]
    [InlineData("10.0.0.1/24", "host bits set; did you mean 10.0.0.0/24")]
    [InlineData("10.0.0", "not an address or CIDR")]
    [InlineData("example.org", "not an address or CIDR")]
    [InlineData("fe80::1%eth0", "not an address or CIDR")]
    public void CidrsThatDoNotParse_AreRefused(string cidr, string says)
    {
        AssertRefused(OneRule(new FirewallRule { Sources = ["192.0.2.0/24", cidr] }), "spec.rules[2].sources[1]", says);
        AssertRefused(OneRule(new FirewallRule { Destinations = [cidr] }), "spec.rules[2].destinations[0]", says);
    }

    [Fact]
    public void SourcesAndDestinationsOfDifferentFamilies_AreRefused_UnlessASelectorCouldSupplyTheOther() 
    {
        AssertRefused(OneRule(new FirewallRule { Sources = ["192.0.2.0/24"], Destinations = ["2001:db8::/32"] }), "spec.rules[2].destinations", "different address families");
        Assert.Empty(Errors(OneRule(new FirewallRule { Sources = ["192.0.2.0/24"], Destinations = ["2001:db8::/32"], DestinationSelector = "tier=web" })));
        Assert.Empty(Errors(OneRule(new FirewallRule { Sources = ["192.0.2.0/24", "2001:db8:1::/48"], Destinations = ["2001:db8::/32"] })));
    }

    [Fact]
    public void IcmpWithIpv6_AndIcmpv6WithIpv4_AreRefused()
    {
        AssertRefused(OneRule(new FirewallRule { Protocol = RuleProtocol.Icmp, Sources = ["2001:db8::/32"] }), "spec.rules[2].sources[0]", "use protocol icmpv6");
        AssertRefused(OneRule(new FirewallRule { Protocol = RuleProtocol.Icmpv6, Destinations = ["192.0.2.1"] }), "spec.rules[2].destinations[0]", "use protocol icmp");
    }

    [Fact]
    public void ASelectorThatDoesNotParse_IsRefusedWithTheParsersWords()
    {
        AssertRefused(OneRule(new FirewallRule { SourceSelector = "role in (web" }), "spec.rules[2].sourceSelector", "Invalid selector at position");
        AssertRefused(OneRule(new FirewallRule { DestinationSelector = "=x" }), "spec.rules[2].destinationSelector", "Invalid selector");
    }

    [Theory]
    [InlineData(0, null, null, null, "spec.rules[2].rateLimit.newConnectionsPerSecond")]
    [InlineData(-5, null, null, null, "spec.rules[2].rateLimit.newConnectionsPerSecond")]
    [InlineData(1_000_000, null, null, null, "spec.rules[2].rateLimit.newConnectionsPerSecond")]
    [InlineData(10, 0, null, null, "spec.rules[2].rateLimit.burst")]
    [InlineData(null, 5, null, null, "spec.rules[2].rateLimit.burst")]
    [InlineData(null, null, 0L, null, "spec.rules[2].rateLimit.packetsPerSecond")]
    [InlineData(null, null, null, -1L, "spec.rules[2].rateLimit.bytesPerSecond")]
    [InlineData(null, null, null, long.MaxValue, "spec.rules[2].rateLimit.bytesPerSecond")]
    public void RateLimitsAtOrBelowZero_OrAbsurd_AreRefused(int? perSecond, int? burst, long? packets, long? bytes, string field)
    {
        var errors = Errors(OneRule(new FirewallRule { RateLimit = new() { NewConnectionsPerSecond = perSecond, Burst = burst, PacketsPerSecond = packets, BytesPerSecond = bytes } }));
        Assert.True(errors.ContainsKey(field), string.Join("; ", errors.Keys));
    }

    [Fact]
    public void ARateLimit_NeedsAnAllowRule() =>
        AssertRefused(OneRule(new FirewallRule { Action = RuleAction.Deny, RateLimit = new() { PacketsPerSecond = 10 } }), "spec.rules[2].rateLimit", "needs action allow");

    [Fact]
    public void DuplicateIds_AreRefused()
    {
        var id = Guid.NewGuid();
        AssertRefused(new FirewallSpec { Rules = [new FirewallRule { Id = id }, new FirewallRule { Id = id }] }, "spec.rules[1].id", "appears more than once");
        AssertRefused(new FirewallSpec { Forwards = [Forward(id, 80), Forward(id, 81)] }, "spec.forwards[1].id", "appears more than once");
    }

    private static PortForward Forward(Guid id, int upstream, RuleProtocol protocol = RuleProtocol.Tcp, int port = 80) =>
        new() { Id = id, UpstreamPort = upstream, Protocol = protocol, VmId = Guid.NewGuid(), Port = port };

    [Fact]
    public void Forwards_AreTcpOrUdp_OnRealPorts_EachUpstreamPortOnce()
    {
        AssertRefused(new FirewallSpec { Forwards = [Forward(Guid.Empty, 80, RuleProtocol.Icmp)] }, "spec.forwards[0].protocol", "tcp or udp");
        AssertRefused(new FirewallSpec { Forwards = [Forward(Guid.Empty, 70000)] }, "spec.forwards[0].upstreamPort", "1 to 65535");
        AssertRefused(new FirewallSpec { Forwards = [Forward(Guid.Empty, 80, port: 0)] }, "spec.forwards[0].port", "1 to 65535");
        AssertRefused(new FirewallSpec { Forwards = [Forward(Guid.Empty, 80), Forward(Guid.Empty, 80)] }, "spec.forwards[1].upstreamPort", "forwarded twice");
        Assert.Empty(Errors(new FirewallSpec { Forwards = [Forward(Guid.Empty, 80), Forward(Guid.Empty, 80, RuleProtocol.Udp)] }));
        AssertRefused(new FirewallSpec { Forwards = [new PortForward { UpstreamPort = 80, Port = 80 }] }, "spec.forwards[0].vmId", "Name the VM");
    }

    [Fact]
    public void Limits_OnRulesForwardsCommentsAndNetworks()
    {
        AssertRefused(new FirewallSpec { Rules = Enumerable.Range(0, FirewallSpecCheck.MaxRules + 1).Select(_ => new FirewallRule()).ToList() }, "spec.rules", "at most 1000 rules");
        AssertRefused(new FirewallSpec { Forwards = Enumerable.Range(1, FirewallSpecCheck.MaxForwards + 1).Select(p => Forward(Guid.Empty, p)).ToList() }, "spec.forwards", "at most 256");
        AssertRefused(OneRule(new FirewallRule { Comment = new string('x', FirewallSpecCheck.MaxCommentLength + 1) }), "spec.rules[2].comment", "At most 200");
        var network = Guid.NewGuid();
        AssertRefused(new FirewallSpec { NetworkIds = [network, network] }, "spec.networkIds[1]", "listed twice");
        AssertRefused(OneRule(new FirewallRule { Direction = (RuleDirection)7 }), "spec.rules[2].direction", "inbound, outbound");
    }
}
