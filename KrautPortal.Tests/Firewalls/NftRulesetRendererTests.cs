using System.Globalization;
using System.Net;
using KrautPortal.Features.Firewalls;
using KrautPortal.Hypervisor.Routers;

namespace KrautPortal.Tests.Firewalls;

/// <summary>The rendered nftables ruleset: its shape, its determinism, and every variant accepted by the real <c>nft -c</c>.</summary>
public sealed class NftRulesetRendererTests
{
    private static readonly NftRulesetRenderer Renderer = new();
    internal static readonly RouterLegs Legs = new("eth0", "eth1", "10.31.0.0/24", "fd4b:31::/64", "192.168.122.31", "2001:db8:31::2");

    internal static ResolvedFirewall Resolved(FirewallSpec? spec, Dictionary<string, IReadOnlyList<IPAddress>>? selectors = null,
        Dictionary<Guid, IPAddress?>? targets = null, IReadOnlyList<string>? geek = null) =>
        new(spec, selectors ?? [], targets ?? [], geek ?? []);

    private static FirewallRule Rule(int n, RuleDirection direction = RuleDirection.Inbound, RuleAction action = RuleAction.Allow,
        RuleProtocol protocol = RuleProtocol.Tcp, string[]? ports = null, string[]? sources = null, string[]? destinations = null,
        string? sourceSelector = null, string? destinationSelector = null, RateLimitSpec? rateLimit = null, bool enabled = true) => new()
    {
        Id = Id(n), Direction = direction, Action = action, Protocol = protocol, Ports = ports ?? [], Sources = sources ?? [],
        Destinations = destinations ?? [], SourceSelector = sourceSelector, DestinationSelector = destinationSelector, RateLimit = rateLimit, Enabled = enabled,
    };

    internal static Guid Id(int n) => Guid.Parse(string.Create(CultureInfo.InvariantCulture, $"00000000-0000-7000-8000-{n:x12}"));

    private static string[] ChainRules(string text, string chain)
    {
        var start = text.IndexOf($"\tchain {chain} {{\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no chain {chain}");
        var end = text.IndexOf("\t}\n", start, StringComparison.Ordinal);
        return text[start..end].Split('\n').Skip(2).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
    }

    [Fact]
    public void WithoutAFirewall_TheDefaultsAlone_ReplaceKrautsTableInOneFile_AndNftAcceptsIt()
    {
        var rendered = Renderer.Render(Legs, Resolved(null));

        Assert.StartsWith("table inet kraut\ndelete table inet kraut\ntable inet kraut {\n", rendered.Text, StringComparison.Ordinal);
        Assert.EndsWith("}\n", rendered.Text, StringComparison.Ordinal);
        Assert.Contains(rendered.Notes, n => n.Contains("No firewall", StringComparison.Ordinal));
        Assert.Equal(RulesetHash.Of(rendered.Text), rendered.Hash);
        Assert.Contains("type filter hook input priority filter; policy drop;", rendered.Text, StringComparison.Ordinal);
        Assert.Contains("type filter hook forward priority filter; policy drop;", rendered.Text, StringComparison.Ordinal);
        var forward = ChainRules(rendered.Text, "forward");
        Assert.Equal("ct state established,related counter accept comment \"kraut:base:established\"", forward[0]);
        Assert.Equal("iifname \"eth0\" oifname \"eth1\" counter drop comment \"kraut:default:inbound\"", forward[^2]);
        Assert.Equal("iifname \"eth1\" oifname \"eth0\" counter accept comment \"kraut:default:outbound\"", forward[^1]);
        Assert.Equal(["oifname \"eth0\" ip saddr 10.31.0.0/24 counter masquerade comment \"kraut:nat:masquerade\""], ChainRules(rendered.Text, "postrouting"));
        Assert.Empty(ChainRules(rendered.Text, "prerouting"));
        var input = ChainRules(rendered.Text, "input");
        Assert.Contains(input, l => l.Contains("nd-neighbor-solicit", StringComparison.Ordinal) && l.Contains("nd-router-advert", StringComparison.Ordinal));
        Assert.DoesNotContain(input, l => l.Contains("dport 22", StringComparison.Ordinal));
        Nft.AssertValid(rendered.Text);
    }

    [Fact]
    public void EveryRule_CarriesACounterAndAKrautComment()
    {
        var spec = new FirewallSpec
        {
            Rules = [Rule(1, ports: ["80"]), Rule(2, sourceSelector: "role=office", rateLimit: new() { NewConnectionsPerSecond = 5, PacketsPerSecond = 100 })],
            Forwards = [new PortForward { Id = Id(9), UpstreamPort = 8080, VmId = Id(10), Port = 80 }],
        };
        var text = Renderer.Render(Legs, Resolved(spec, targets: new() { [Id(10)] = IPAddress.Parse("10.31.0.5") }, geek: ["198.51.100.0/24"])).Text;

        foreach (var chain in new[] { "input", "forward", "prerouting", "postrouting" })
            foreach (var line in ChainRules(text, chain).Skip(1))
                Assert.Matches("counter .* comment \"kraut:[a-z0-9:-]+\"$", line);
    }

    [Fact]
    public void SameInput_SameBytes_AndOrderOfRulesIsKept_DisabledOnesLeftOut()
    {
        var spec = new FirewallSpec
        {
            Rules = [Rule(3, ports: ["443"]), Rule(1, action: RuleAction.Deny, ports: ["22"]), Rule(2, enabled: false, ports: ["25"]), Rule(4, direction: RuleDirection.Outbound, action: RuleAction.Reject, ports: ["25"])],
        };
        var first = Renderer.Render(Legs, Resolved(spec));
        var second = Renderer.Render(Legs, Resolved(spec with { Rules = [.. spec.Rules] }));

        Assert.Equal(first.Text, second.Text);
        Assert.Equal(first.Hash, second.Hash);
        var forward = ChainRules(first.Text, "forward");
        var ids = forward.Select(l => l[(l.LastIndexOf("kraut:", StringComparison.Ordinal) + 6)..].TrimEnd('"')).ToList();
        Assert.Equal(["base:established", "base:invalid", Id(3).ToString(), Id(1).ToString(), Id(4).ToString(), "default:inbound", "default:outbound"], ids);
        Assert.Contains($"iifname \"eth0\" oifname \"eth1\" tcp dport 22 counter drop comment \"kraut:{Id(1)}\"", forward);
        Assert.Contains($"iifname \"eth1\" oifname \"eth0\" tcp dport 25 counter reject with tcp reset comment \"kraut:{Id(4)}\"", forward);
        Assert.DoesNotContain(Id(2).ToString(), first.Text, StringComparison.Ordinal);

        var reordered = Renderer.Render(Legs, Resolved(spec with { Rules = [spec.Rules[1], spec.Rules[0], spec.Rules[2], spec.Rules[3]] }));
        Assert.NotEqual(first.Hash, reordered.Hash);
        Nft.AssertValid(first.Text);
    }

    [Fact]
    public void TwoHundredRules_OfEveryKind_AreAcceptedByNft()
    {
        var rules = new List<FirewallRule>();
        for (var i = 0; i < 200; i++)
        {
            rules.Add((i % 8) switch
            {
                0 => Rule(i, ports: [(1000 + i).ToString(CultureInfo.InvariantCulture)]),
                1 => Rule(i, protocol: RuleProtocol.Udp, ports: ["53", "5000-5100"], sources: ["203.0.113.0/24", "2001:db8:1::/48"]),
                2 => Rule(i, action: RuleAction.Reject, protocol: RuleProtocol.Any, sources: ["198.51.100.7"]),
                3 => Rule(i, protocol: RuleProtocol.Icmp, action: RuleAction.Deny),
                4 => Rule(i, protocol: RuleProtocol.Icmpv6, sources: ["2001:db8::/32"]),
                5 => Rule(i, direction: RuleDirection.Outbound, destinations: ["192.0.2.0/24"], ports: ["443"]),
                6 => Rule(i, destinationSelector: "tier=web", ports: ["80", "443"]),
                _ => Rule(i, sourceSelector: "role=office", rateLimit: new() { NewConnectionsPerSecond = 10, Burst = 20 }),
            });
        }
        var selectors = new Dictionary<string, IReadOnlyList<IPAddress>>
        {
            ["tier=web"] = [IPAddress.Parse("10.31.0.10"), IPAddress.Parse("10.31.0.11"), IPAddress.Parse("fd4b:31::10")],
            ["role=office"] = [],
        };
        var rendered = Renderer.Render(Legs, Resolved(new FirewallSpec { Rules = rules }, selectors));

        Assert.Equal(200, rules.Select(r => r.Id).Count(id => rendered.Text.Contains($"comment \"kraut:{id}\"", StringComparison.Ordinal)));
        Nft.AssertValid(rendered.Text);
    }

    [Fact]
    public void Selectors_BecomeNamedSetsPerFamily_EmptyOrFull()
    {
        var spec = new FirewallSpec
        {
            Rules = [Rule(1, destinationSelector: "tier=web", ports: ["80"]), Rule(2, sourceSelector: "role=nobody", sources: ["203.0.113.9"])],
        };
        var selectors = new Dictionary<string, IReadOnlyList<IPAddress>>
        {
            ["tier=web"] = [IPAddress.Parse("10.31.0.11"), IPAddress.Parse("10.31.0.10"), IPAddress.Parse("fd4b:31::10"), IPAddress.Parse("10.31.0.10")],
            ["role=nobody"] = [],
        };
        var text = Renderer.Render(Legs, Resolved(spec, selectors)).Text;
        var one = Id(1).ToString("N");
        var two = Id(2).ToString("N");

        Assert.Contains($"\tset r_{one}_d4 {{\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\tauto-merge\n\t\telements = {{ 10.31.0.10, 10.31.0.11 }}\n\t}}\n", text, StringComparison.Ordinal);
        Assert.Contains($"\tset r_{one}_d6 {{\n\t\ttype ipv6_addr\n\t\tflags interval\n\t\tauto-merge\n\t\telements = {{ fd4b:31::10 }}\n\t}}\n", text, StringComparison.Ordinal);
        // A selector matching nothing leaves the set empty (nft accepts an empty named set; the rule then matches nothing).
        Assert.Contains($"\tset r_{two}_s6 {{\n\t\ttype ipv6_addr\n\t\tflags interval\n\t\tauto-merge\n\t}}\n", text, StringComparison.Ordinal);
        Assert.Contains($"\tset r_{two}_s4 {{\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\tauto-merge\n\t\telements = {{ 203.0.113.9 }}\n\t}}\n", text, StringComparison.Ordinal);
        Assert.Contains($"iifname \"eth0\" oifname \"eth1\" ip daddr @r_{one}_d4 tcp dport 80 counter accept comment \"kraut:{Id(1)}\"", text, StringComparison.Ordinal);
        Assert.Contains($"iifname \"eth0\" oifname \"eth1\" ip6 daddr @r_{one}_d6 tcp dport 80 counter accept comment \"kraut:{Id(1)}\"", text, StringComparison.Ordinal);
        Nft.AssertValid(text);

        var unresolved = Renderer.Render(Legs, Resolved(spec)).Text;
        Assert.DoesNotContain("elements = { 10.31.0.10", unresolved, StringComparison.Ordinal);
        Nft.AssertValid(unresolved);
    }

    [Fact]
    public void Ipv6Rules_UseIp6Matches_AndIcmpStaysInItsFamily()
    {
        var spec = new FirewallSpec
        {
            Rules =
            [
                Rule(1, sources: ["2001:db8::/32"], ports: ["22"]),
                Rule(2, protocol: RuleProtocol.Icmpv6, destinations: ["fd4b:31::/64"]),
                Rule(3, protocol: RuleProtocol.Icmp, sourceSelector: "any=thing"),
                Rule(4, direction: RuleDirection.Outbound, action: RuleAction.Reject, protocol: RuleProtocol.Udp, destinations: ["2001:db8::53"], ports: ["53"]),
            ],
        };
        var text = Renderer.Render(Legs, Resolved(spec, new() { ["any=thing"] = [IPAddress.Parse("10.31.0.3"), IPAddress.Parse("fd4b:31::3")] })).Text;

        Assert.Contains($"ip6 saddr @r_{Id(1):N}_s6 tcp dport 22 counter accept", text, StringComparison.Ordinal);
        Assert.DoesNotContain($"r_{Id(1):N}_s4", text, StringComparison.Ordinal);
        Assert.Contains($"ip6 daddr @r_{Id(2):N}_d6 meta l4proto ipv6-icmp counter accept", text, StringComparison.Ordinal);
        Assert.Contains($"ip saddr @r_{Id(3):N}_s4 meta l4proto icmp counter accept", text, StringComparison.Ordinal);
        Assert.DoesNotContain($"r_{Id(3):N}_s6", text, StringComparison.Ordinal);
        Assert.Contains($"iifname \"eth1\" oifname \"eth0\" ip6 daddr @r_{Id(4):N}_d6 udp dport 53 counter reject with icmpx type admin-prohibited", text, StringComparison.Ordinal);
        Nft.AssertValid(text);
    }

    [Fact]
    public void RateLimits_DropOverTheLimitBeforeTheAccept_PerSourceAndForTheRule()
    {
        var spec = new FirewallSpec
        {
            Rules =
            [
                Rule(1, ports: ["80"], rateLimit: new() { NewConnectionsPerSecond = 10, Burst = 20 }),
                Rule(2, ports: ["443"], sources: ["203.0.113.0/24"], rateLimit: new() { NewConnectionsPerSecond = 3, PacketsPerSecond = 1000, BytesPerSecond = 1_000_000 }),
                // The largest limits validation lets through still load.
                Rule(3, protocol: RuleProtocol.Udp, ports: ["53"], rateLimit: new() { BytesPerSecond = FirewallSpecCheck.MaxBytesPerSecond }),
                Rule(4, sources: ["2001:db8::/32"], rateLimit: new()
                {
                    NewConnectionsPerSecond = FirewallSpecCheck.MaxNewConnectionsPerSecond, Burst = FirewallSpecCheck.MaxBurst, PacketsPerSecond = FirewallSpecCheck.MaxPacketsPerSecond,
                }),
            ],
        };
        var text = Renderer.Render(Legs, Resolved(spec)).Text;
        var forward = ChainRules(text, "forward");
        var one = Id(1).ToString("N");

        var limit4 = Array.FindIndex(forward, l => l.Contains($"update @rl_{one}_4 {{ ip saddr limit rate over 10/second burst 20 packets }} counter drop comment \"kraut:{Id(1)}:limit\"", StringComparison.Ordinal));
        var limit6 = Array.FindIndex(forward, l => l.Contains($"meta nfproto ipv6 ct state new update @rl_{one}_6 {{ ip6 saddr limit rate over 10/second burst 20 packets }}", StringComparison.Ordinal));
        var accept = Array.IndexOf(forward, $"iifname \"eth0\" oifname \"eth1\" tcp dport 80 counter accept comment \"kraut:{Id(1)}\"");
        Assert.True(limit4 >= 0 && limit6 >= 0 && accept > limit4 && accept > limit6, string.Join('\n', forward));
        Assert.Contains($"\tset rl_{one}_4 {{\n\t\ttype ipv4_addr\n\t\tsize 65535\n\t\tflags dynamic,timeout\n\t\ttimeout 1m\n\t}}\n", text, StringComparison.Ordinal);
        Assert.Contains($"\tlimit lp_{Id(2):N} {{\n\t\trate over 1000/second\n\t}}\n", text, StringComparison.Ordinal);
        Assert.Contains($"\tlimit lb_{Id(2):N} {{\n\t\trate over 1000000 bytes/second\n\t}}\n", text, StringComparison.Ordinal);
        Assert.Contains($"limit name \"lb_{Id(3):N}\" counter drop comment \"kraut:{Id(3)}:limit\"", text, StringComparison.Ordinal);
        Nft.AssertValid(text);
    }

    [Fact]
    public void Forwards_DnatOnTheUpstreamAddress_AndAForwardWithoutATargetIsLeftOutWithANote()
    {
        var spec = new FirewallSpec
        {
            Forwards =
            [
                new PortForward { Id = Id(1), UpstreamPort = 8080, VmId = Id(11), Port = 80 },
                new PortForward { Id = Id(2), Protocol = RuleProtocol.Udp, UpstreamPort = 5353, VmId = Id(12), Port = 53 },
                new PortForward { Id = Id(3), UpstreamPort = 2222, VmId = Id(11), Port = 22, Enabled = false },
            ],
        };
        var rendered = Renderer.Render(Legs, Resolved(spec, targets: new() { [Id(11)] = IPAddress.Parse("10.31.0.5"), [Id(12)] = null }));

        Assert.Equal([$"iifname \"eth0\" ip daddr 192.168.122.31 tcp dport 8080 counter dnat ip to 10.31.0.5:80 comment \"kraut:fwd:{Id(1)}:dnat\""],
            ChainRules(rendered.Text, "prerouting"));
        Assert.Contains($"iifname \"eth0\" oifname \"eth1\" ct status dnat ip daddr 10.31.0.5 tcp dport 80 counter accept comment \"kraut:fwd:{Id(1)}\"",
            ChainRules(rendered.Text, "forward"));
        Assert.DoesNotContain(Id(2).ToString(), rendered.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(Id(3).ToString(), rendered.Text, StringComparison.Ordinal);
        Assert.Contains(rendered.Notes, n => n.Contains(Id(2).ToString(), StringComparison.Ordinal) && n.Contains("no IPv4 address", StringComparison.Ordinal));
        Nft.AssertValid(rendered.Text);

        // Before the router has its upstream address, the forward matches on the upstream leg alone.
        var early = Renderer.Render(Legs with { UpstreamIpv4 = null }, Resolved(spec, targets: new() { [Id(11)] = IPAddress.Parse("10.31.0.5") }));
        Assert.Contains($"iifname \"eth0\" tcp dport 8080 counter dnat ip to 10.31.0.5:80", early.Text, StringComparison.Ordinal);
        Nft.AssertValid(early.Text);
    }

    [Fact]
    public void GeekMode_OpensSshOnTheUpstreamLeg_FromItsSourcesOnly()
    {
        var rendered = Renderer.Render(Legs, Resolved(null, geek: ["198.51.100.0/24", "2001:db8:77::/48", "not-a-cidr"]));
        var input = ChainRules(rendered.Text, "input");

        Assert.Contains("iifname \"eth0\" ip saddr @geek4 tcp dport 22 counter accept comment \"kraut:base:geek-ssh\"", input);
        Assert.Contains("iifname \"eth0\" ip6 saddr @geek6 tcp dport 22 counter accept comment \"kraut:base:geek-ssh\"", input);
        Assert.Contains("elements = { 198.51.100.0/24 }", rendered.Text, StringComparison.Ordinal);
        Assert.Contains(rendered.Notes, n => n.Contains("not-a-cidr", StringComparison.Ordinal));
        Assert.DoesNotContain(input, l => l.Contains("dport 22", StringComparison.Ordinal) && !l.Contains("iifname \"eth0\"", StringComparison.Ordinal));
        Nft.AssertValid(rendered.Text);
    }

    [Fact]
    public void DefaultPolicies_AreRenderedAfterTheRules_AsChosen()
    {
        var spec = new FirewallSpec { Defaults = new DefaultPolicies { Inbound = RuleAction.Reject, Outbound = RuleAction.Deny } };
        var forward = ChainRules(Renderer.Render(Legs with { InnerIpv4Cidr = null }, Resolved(spec)).Text, "forward");

        Assert.Equal("iifname \"eth0\" oifname \"eth1\" counter reject with icmpx type admin-prohibited comment \"kraut:default:inbound\"", forward[^2]);
        Assert.Equal("iifname \"eth1\" oifname \"eth0\" counter drop comment \"kraut:default:outbound\"", forward[^1]);
    }

    [Fact]
    public void AnInterfaceNameThatIsNoPlainName_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => Renderer.Render(Legs with { UpstreamInterface = "eth0\" accept" }, Resolved(null)));
    }
}
