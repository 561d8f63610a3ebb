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

        Tool.Run("virsh", "-c", TestHosts.System, "destroy", vmId);
        if (undefine) Tool.Run("virsh", "-c", TestHosts.System, "undefine", vmId);
        // Nothing forwards while the router is gone.
        await lab.ExpectStopsAnsweringAsync(8080);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await lab.ExpectAnswerAsync(8080, within: TrafficLab.Boot);
        output.WriteLine($"the router forwarded again {clock.Elapsed.TotalSeconds:0} s after it was {(undefine ? "undefined" : "destroyed")}");
        // ...with its rules, not an open router: the port no rule allows is closed from the first forwarded packet on.
        var denied = await lab.FromInternetAsync(8082);
        if (denied.Answered)
        {
            // Say how long it stayed open: a router that forwards before its ruleset is loaded fails open.
            await lab.ExpectStopsAnsweringAsync(8082);
            Assert.Fail($"the router forwarded to a port no rule allows (8082: {denied}) when it came back; it closed "
                + $"{clock.Elapsed.TotalSeconds:0} s after the {(undefine ? "undefine" : "destroy")}, once Kraut's ruleset was loaded again");
        }
        await lab.ExpectNoAnswerAsync(8082);
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
