using System.Diagnostics;
using System.Text.Json;
using KrautPortal.Hypervisor.Routers;
using KrautPortal.Tests.Support;
using Xunit.Abstractions;

namespace KrautPortal.Tests.Routers;

/// <summary>
/// The router appliance on real libvirtd + QEMU, driven through <see cref="RouterAgentClient"/> over its virtio-serial
/// channel: rulesets load into the real nftables of the guest (or are refused by it), and dropbear really runs.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class ApplianceAgentTests(ApplianceFixture fixture, ITestOutputHelper output) : IClassFixture<ApplianceFixture>
{
    // A per-source rate limit (a dynamic set), NAT, reject and a non-ASCII comment: the hash is over UTF-8 bytes.
    private const string Ruleset = """
        table inet kraut
        delete table inet kraut
        table inet kraut {
          set ssh_rate { type ipv4_addr; flags dynamic; timeout 60s; }
          chain input {
            type filter hook input priority filter; policy drop;
            ct state established,related accept
            iif "lo" accept
            tcp dport 22 update @ssh_rate { ip saddr limit rate over 3/second burst 5 packets } counter drop comment "kraut:rate-ssh"
            tcp dport 22 counter accept comment "kraut:allow-ssh"
            tcp dport 81 counter reject with tcp reset comment "kraut:reject-81 Müller"
          }
          chain postrouting {
            type nat hook postrouting priority srcnat;
            oifname "eth0" counter masquerade comment "kraut:nat"
          }
          chain prerouting {
            type nat hook prerouting priority dstnat;
            iifname "eth0" tcp dport 8080 counter dnat ip to 10.1.2.3:80 comment "kraut:forward-8080"
          }
        }

        """;

    private const string Other = """
        table inet kraut
        delete table inet kraut
        table inet kraut {
          chain input {
            type filter hook input priority filter; policy accept;
            tcp dport 80 counter accept comment "kraut:web"
          }
        }

        """;

    private string Socket => fixture.Appliance.SocketPath;

    private RouterAgentClient Agent => fixture.Agent;

    [Fact]
    public async Task RequestWhileBooting_FailsCleanlyWithinItsTimeout_ThenSucceeds()
    {
        output.WriteLine($"appliance booted (domain start to agent ready) in {fixture.BootTime.TotalSeconds:0.0} s");

        var e = Assert.IsType<RouterAgentException>(fixture.EarlyFailure);
        Assert.Contains("did not answer LOADED within 3 s", e.Message, StringComparison.Ordinal);
        Assert.InRange(fixture.EarlyFailureAfter, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10));

        // The same question, once the agent is up, gets an answer (and the early one, if it ever arrives, is skipped).
        await Agent.TablesAsync(Socket, CancellationToken.None);
    }

    [Fact]
    public async Task Apply_ValidRuleset_ReturnsItsHash_AndLoadedReturnsTheSameText()
    {
        var hash = await Agent.ApplyAsync(Socket, Ruleset, CancellationToken.None);

        Assert.Equal(RulesetHash.Of(Ruleset), hash);
        var loaded = await Agent.LoadedAsync(Socket, CancellationToken.None);
        Assert.NotNull(loaded);
        Assert.Equal(hash, loaded.Hash);
        Assert.Equal(Ruleset, loaded.Text);
        Assert.Contains($"KRAUT-ROUTER-APPLIED sha256={hash}", fixture.Appliance.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_MalformedRuleset_IsRefusedWithNftsError_AndThePreviousOneStaysLoaded()
    {
        var before = await Agent.ApplyAsync(Socket, Other, CancellationToken.None);
        var malformed = Other.Replace("counter accept", "counter acept", StringComparison.Ordinal);

        var e = await Assert.ThrowsAsync<RouterAgentException>(() => Agent.ApplyAsync(Socket, malformed, CancellationToken.None));

        Assert.Contains("nft refused the ruleset: line 6:", e.Message, StringComparison.Ordinal);
        Assert.Contains("Error:", e.Message, StringComparison.Ordinal);
        var loaded = await Agent.LoadedAsync(Socket, CancellationToken.None);
        Assert.Equal(before, loaded?.Hash);
        Assert.Equal(Other, loaded?.Text);
        // Still in force in the kernel, not only remembered: its rule is there with its comment.
        Assert.Contains("kraut:web", await Agent.CountersJsonAsync(Socket, CancellationToken.None), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Counters_AreNftsJson_WithEveryRulesCommentAndCounter()
    {
        await Agent.ApplyAsync(Socket, Ruleset, CancellationToken.None);

        var json = await Agent.CountersJsonAsync(Socket, CancellationToken.None);

        using var doc = JsonDocument.Parse(json);
        var rules = doc.RootElement.GetProperty("nftables").EnumerateArray()
            .Where(e => e.TryGetProperty("rule", out _)).Select(e => e.GetProperty("rule")).ToList();
        var comments = rules.Where(r => r.TryGetProperty("comment", out _)).Select(r => r.GetProperty("comment").GetString()).ToList();
        Assert.Equal(["kraut:rate-ssh", "kraut:allow-ssh", "kraut:reject-81 Müller", "kraut:nat", "kraut:forward-8080"], comments);
        Assert.All(rules.Where(r => r.TryGetProperty("comment", out _)), r =>
            Assert.Contains(r.GetProperty("expr").EnumerateArray(), x => x.TryGetProperty("counter", out _)));
    }

    [Fact]
    public async Task Apply_ReplacesOnlyTableInetKraut_AndTablesListsEveryTable()
    {
        // A table the owner made by hand (geek mode), here loaded along with Kraut's once.
        await Agent.ApplyAsync(Socket, Other + "table inet mine {\n  chain c {\n    counter\n  }\n}\n", CancellationToken.None);

        await Agent.ApplyAsync(Socket, Ruleset, CancellationToken.None);

        var tables = await Agent.TablesAsync(Socket, CancellationToken.None);
        Assert.Contains("inet kraut", tables);
        Assert.Contains("inet mine", tables);
        var e = await Assert.ThrowsAsync<RouterAgentException>(() =>
            Agent.ApplyAsync(Socket, "flush ruleset\n" + Ruleset, CancellationToken.None));
        Assert.Contains("may only replace table inet kraut", e.Message, StringComparison.Ordinal);
        Assert.Contains("inet mine", await Agent.TablesAsync(Socket, CancellationToken.None));
    }

    [Fact]
    public async Task GeekMode_OwnersKeyGetsAShell_OtherKeysAndOffAreRefused_AndAHandMadeTableSurvivesAnApply()
    {
        var ip = await fixture.Appliance.WaitForAddressAsync(TimeSpan.FromSeconds(60));
        using var keys = new SshKeys();
        var owner = keys.Create("owner");
        var stranger = keys.Create("stranger");
        await Agent.ApplyAsync(Socket, Other, CancellationToken.None);
        Assert.False(await Agent.SshRunningAsync(Socket, CancellationToken.None));

        await Agent.SetSshKeysAsync(Socket, [File.ReadAllText(owner + ".pub").Trim()], CancellationToken.None);
        Assert.True(await Agent.SshRunningAsync(Socket, CancellationToken.None));
        Assert.Contains("KRAUT-ROUTER-SSH running keys=1", fixture.Appliance.Console, StringComparison.Ordinal);

        // The owner gets a shell and adds a table of their own; a stranger's key is refused.
        var shell = await SshKeys.RunAsync(owner, ip,
            "cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding && /usr/sbin/nft add table inet geek && echo geek-ok");
        Assert.True(shell.ExitCode == 0, $"ssh as the owner failed ({shell.ExitCode}): {shell.StdErr}");
        Assert.Equal("1\n1\ngeek-ok\n", shell.StdOut); // and the router forwards both families
        var refused = await SshKeys.RunAsync(stranger, ip, "true");
        Assert.Equal(255, refused.ExitCode);
        Assert.Contains("Permission denied", refused.StdErr, StringComparison.Ordinal);

        // Kraut's next apply replaces its own table only.
        await Agent.ApplyAsync(Socket, Ruleset, CancellationToken.None);
        Assert.Contains("inet geek", await Agent.TablesAsync(Socket, CancellationToken.None));

        await Agent.SetSshKeysAsync(Socket, [], CancellationToken.None);
        Assert.False(await Agent.SshRunningAsync(Socket, CancellationToken.None));
        var off = await SshKeys.RunAsync(owner, ip, "true");
        Assert.Equal(255, off.ExitCode);
        Assert.Contains("refused", off.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SshKeys_WithALineBreak_AreRefusedBeforeReachingTheRouter()
    {
        const string key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMyYuQGAHrifZY3GFrR/p1QsnXa8njkUypOUUs2XO2Pq owner@kraut";

        await Assert.ThrowsAsync<ArgumentException>(() => Agent.SetSshKeysAsync(Socket, [key + "\n" + key], CancellationToken.None));
    }

    [Fact]
    public async Task Apply_TwoHundredRules_LoadsInOneGo_WithEveryRuleCounted()
    {
        var rules = string.Concat(Enumerable.Range(0, 200).Select(i =>
            $"    ip saddr 10.{i / 250}.{i % 250}.0/24 tcp dport {1000 + i} counter accept comment \"kraut:rule-{i}\"\n"));
        var ruleset = $"table inet kraut\ndelete table inet kraut\ntable inet kraut {{\n  chain forward {{\n" +
            $"    type filter hook forward priority filter; policy drop;\n    ct state established,related accept\n{rules}  }}\n}}\n";
        var watch = Stopwatch.StartNew();

        Assert.Equal(RulesetHash.Of(ruleset), await Agent.ApplyAsync(Socket, ruleset, CancellationToken.None));

        output.WriteLine($"200 rules applied (nft -c + nft -f in the guest, under {fixture.Appliance.DomainType}) in {watch.Elapsed.TotalSeconds:0.0} s");
        var json = await Agent.CountersJsonAsync(Socket, CancellationToken.None);
        Assert.Equal(200, System.Text.RegularExpressions.Regex.Count(json, "\"comment\": \"kraut:rule-"));
    }

    [Fact]
    public async Task ParallelRequests_OnOneSocket_AreServedOneAfterTheOther()
    {
        var all = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Agent.TablesAsync(Socket, CancellationToken.None)));

        Assert.All(all, tables => Assert.Equal(all[0], tables));
    }

    [Fact]
    public async Task Request_ToASocketNobodyListensOn_FailsAtOnceNamingIt()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kraut-no-router-{Guid.NewGuid():N}.sock");
        var watch = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<RouterAgentException>(() => Agent.LoadedAsync(path, CancellationToken.None));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("is the router VM running?", e.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }
}
