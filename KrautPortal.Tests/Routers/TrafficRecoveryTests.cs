using KrautPortal.Features;
using KrautPortal.Hypervisor.Routers;
using Xunit.Abstractions;
using static KrautPortal.TestSupport.FirewallJson;

namespace KrautPortal.Tests.Routers;

/// <summary>
/// A router that keeps its rules: a malformed ruleset is refused with the previous one still in force, and the router VM taken away behind Kraut's back (<c>virsh destroy</c>, <c>virsh undefine</c>) comes back with the rules
/// it had: traffic stops, then the allowed port answers again while the denied one stays closed.
/// </summary>
[Collection(TrafficCollection.Name)]
public sealed class TrafficRecoveryTests(TrafficLab lab, ITestOutputHelper output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheRouterVm_KilledOrUndefinedByHand_ComesBackWithItsRules(bool undefine)
    {
        await lab.ApplyAsync([Inbound("allow", 8080)]);
        await lab.ExpectAnswerAsync(8080);
        await lab.ExpectNoAnswerAsync(8082);
        var before = await lab.RouterStatusAsync();
        var vmId = TrafficLab.Text(before, "vmId") ?? throw new InvalidOperationException($"the router's status names no VM: {before}");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Tool.Run("virsh", "-c", TestHosts.System, "destroy", vmId);
        if (undefine) Tool.Run("virsh", "-c", TestHosts.System, "undefine", vmId);
        // Nothing forwards while the router is gone.
        await lab.ExpectStopsAnsweringAsync(8080);

        // Until the allowed port answers again, the denied one is probed too, every round: a router that forwards before
        // its ruleset is loaded (fails open) lets it through for a while.
        var short1 = TimeSpan.FromSeconds(1);
        var openedAt = new List<double>();
        await Eventually.WaitUntilAsync(async () =>
        {
            if ((await lab.Internet.GetAsync($"http://{lab.WebIp}:8082/", short1, lab.Client1)).Answered) openedAt.Add(clock.Elapsed.TotalSeconds);
            return (await lab.Internet.GetAsync($"http://{lab.WebIp}:8080/", short1, lab.Client1)).Answered;
        }, TrafficLab.Boot, "the allowed port to answer through the returning router");
        output.WriteLine($"the router forwarded again {clock.Elapsed.TotalSeconds:0} s after it was {(undefine ? "undefined" : "destroyed")}");
        // ...with its rules, not an open router: the port no rule allows stays closed, from the first forwarded packet on.
        if (!(await lab.FromInternetAsync(8082)).Answered && openedAt.Count == 0)
        {
            await lab.ExpectNoAnswerAsync(8082);
        }
        else
        {
            await lab.ExpectStopsAnsweringAsync(8082);
            var when = openedAt.Count == 0 ? "as soon as the allowed port answered" : "at " + string.Join(", ", openedAt.Select(t => $"{t:0} s"));
            Assert.Fail($"the returning router forwarded to a port no rule allows (8082 answered {when} after the {(undefine ? "undefine" : "destroy")}); "
                + $"it closed at {clock.Elapsed.TotalSeconds:0} s, once Kraut's ruleset was loaded again");
        }
        await lab.ExpectNoAnswerAsync(8081);
        var after = await lab.RouterStatusAsync();
        Assert.Equal(TrafficLab.Text(before, "appliedHash"), TrafficLab.Text(after, "appliedHash"));
    }

    /// <summary>
    /// The API cannot produce a malformed ruleset (every field is validated and the renderer writes only what validation
    /// let through), so this one goes to the router's agent directly, over the same channel and client the portal's
    /// apply uses. It would open everything (policy accept) if any of it were loaded.
    /// </summary>
    [Fact]
    public async Task AMalformedRuleset_IsRefusedByTheRouter_AndThePreviousOneStaysInForce()
    {
        await lab.ApplyAsync([Inbound("allow", 8080)]);
        await lab.ExpectAnswerAsync(8080);
        var status = await lab.RouterStatusAsync();
        var vmId = Guid.Parse(TrafficLab.Text(status, "vmId")!);
        var socket = new KrautPaths(lab.Portal.DataDirectory).RouterAgentSocketFor(vmId);
        var agent = new RouterAgentClient();
        var before = await agent.LoadedAsync(socket, CancellationToken.None) ?? throw new InvalidOperationException("the router reports nothing loaded");
        Assert.Equal(TrafficLab.Text(status, "appliedHash"), before.Hash);

        const string malformed = "table inet kraut\ndelete table inet kraut\ntable inet kraut {\n\tchain forward {\n"
            + "\t\ttype filter hook forward priority filter; policy accept;\n\t\ttcp dport 8082 acept\n\t}\n}\n";
        var refused = await Assert.ThrowsAsync<RouterAgentException>(() => agent.ApplyAsync(socket, malformed, CancellationToken.None));
        output.WriteLine($"refused: {refused.Message}");
        Assert.Contains("nft refused", refused.Message, StringComparison.Ordinal);

        var after = await agent.LoadedAsync(socket, CancellationToken.None);
        Assert.Equal(before, after);
        await lab.ExpectAnswerAsync(8080);
        await lab.ExpectNoAnswerAsync(8082);
    }
}
