using Xunit.Abstractions;
using static KrautPortal.TestSupport.FirewallJson;

namespace KrautPortal.Tests.Routers;

/// <summary>
/// The router VM taken away behind Kraut's back (<c>virsh destroy</c>, <c>virsh undefine</c>) comes back with the rules
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
        // ...with its rules, not an open router: the port no rule allows stays closed.
        await lab.ExpectNoAnswerAsync(8082);
        await lab.ExpectNoAnswerAsync(8081);
        var after = await lab.RouterStatusAsync();
        Assert.Equal(TrafficLab.Text(before, "appliedHash"), TrafficLab.Text(after, "appliedHash"));
    }
}
