using Xunit.Abstractions;
using static KrautPortal.TestSupport.FirewallJson;

namespace KrautPortal.Tests.Routers;

/// <summary>
/// Geek mode judged with a real <c>ssh</c> from the internet: the owner's profile key gets a shell on the router while
/// it is on, from the allowed source only; another user's key never does; off means off. A table the owner adds by
/// hand is theirs: a Kraut apply leaves it (and its rule) in force, and the router's status names it.
/// </summary>
[Collection(TrafficCollection.Name)]
public sealed class TrafficGeekModeTests(TrafficLab lab, ITestOutputHelper output) : IDisposable
{
    private readonly string _keys = Directory.CreateTempSubdirectory("kraut-geek-keys-").FullName;

    [Fact]
    public async Task TheOwnersKeyGetsAShell_OnlyWhileGeekModeIsOn_AnotherUsersKeyNever_AndAHandMadeTableSurvivesAKrautApply()
    {
        var owner = NewKey("owner");
        var stranger = NewKey("stranger");
        // The router's owner is the network's owner: the god token's actor here. The stranger is the portal's admin.
        await RouterSsh.AddToProfileAsync(lab.Http, owner);
        using (var admin = lab.Portal.CreateAdminClient()) await RouterSsh.AddToProfileAsync(admin, stranger);
        await lab.ApplyAsync([Inbound("allow", 8080), Inbound("allow", 8081)]);

        await lab.SetGeekModeAsync(false);
        await lab.WaitForRouterAsync(s => s.TryGetProperty("geekModeActive", out var g) && !g.GetBoolean(), TrafficLab.Apply, "geek mode off");
        Assert.False((await SshAsync(owner, lab.Client1, "echo KRAUT-SSH-OK")).Ok, "ssh with geek mode off");

        await lab.SetGeekModeAsync(true, $"{lab.Client1}/32");
        await lab.WaitForRouterAsync(s => s.TryGetProperty("geekModeActive", out var g) && g.GetBoolean(), TrafficLab.Apply, "geek mode on");
        await Eventually.WaitUntilAsync(async () => (await SshAsync(owner, lab.Client1, "echo KRAUT-SSH-OK")).Ok, TrafficLab.Apply,
            "the owner's key to get a shell on the router");
        var stranger1 = await SshAsync(stranger, lab.Client1, "echo KRAUT-SSH-OK");
        Assert.False(stranger1.Ok, $"another user's key got a shell: {stranger1.Output}");
        // Not from a source geek mode does not name.
        Assert.False((await SshAsync(owner, lab.Client2, "echo KRAUT-SSH-OK")).Ok, "ssh from a source outside geek mode's CIDRs");

        // The owner's own table: a forward chain that drops 8081, which Kraut's rules allow.
        var added = await SshAsync(owner, lab.Client1,
            "nft add table inet mine && nft add chain inet mine hand '{ type filter hook forward priority -5; }' && nft add rule inet mine hand tcp dport 8081 drop && echo KRAUT-SSH-OK");
        Assert.True(added.Ok, added.Output);
        await lab.ExpectStopsAnsweringAsync(8081);

        // A Kraut apply (a new firewall version) replaces Kraut's table only.
        await lab.ApplyAsync([Inbound("allow", 8080), Inbound("allow", 8081), Inbound("allow", 8082)]);
        await lab.ExpectAnswerAsync(8082);
        await lab.ExpectAnswerAsync(8080);
        await lab.ExpectNoAnswerAsync(8081);
        var tables = await SshAsync(owner, lab.Client1, "nft list tables && echo KRAUT-SSH-OK");
        Assert.Contains("table inet mine", tables.Output, StringComparison.Ordinal);
        var status = await lab.WaitForRouterAsync(s => s.TryGetProperty("handMadeTables", out var t)
            && t.EnumerateArray().Any(x => x.GetString() == "inet mine"), TrafficLab.Apply, "the hand-made table in the router's status");
        output.WriteLine($"router status: {status}");
        Assert.DoesNotContain(status.GetProperty("handMadeTables").EnumerateArray(), t => t.GetString() == "inet kraut");

        // It was the hand-made rule that held 8081: without it the port answers.
        Assert.True((await SshAsync(owner, lab.Client1, "nft delete table inet mine && echo KRAUT-SSH-OK")).Ok);
        await lab.ExpectAnswerAsync(8081);

        await lab.SetGeekModeAsync(false);
        await Eventually.WaitUntilAsync(async () => !(await SshAsync(owner, lab.Client1, "echo KRAUT-SSH-OK")).Ok, TrafficLab.Apply,
            "ssh to be refused again with geek mode off");
    }

    private Task<SshResult> SshAsync(string key, string from, string command) =>
        RouterSsh.RunAsync(lab.Internet, key, from, lab.RouterUpstream, command);

    private string NewKey(string name) => RouterSsh.NewKey(_keys, name);

    public void Dispose() => Directory.Delete(_keys, recursive: true);
}
