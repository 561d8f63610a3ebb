using System.Text.Json.Nodes;
using KrautPortal.Features.Vms;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Moves;

/// <summary>
/// A host that stops answering (its libvirtd killed): the hosts list says so, its VM's phase becomes unknown with a message
/// that its disk is there and it cannot be recreated elsewhere, and nothing is made on the other host; once the host
/// answers again the VM is seen as it is.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class UnreachableHostTests(UnreachableHostPortal fixture) : IClassFixture<UnreachableHostPortal>
{
    private static readonly TimeSpan Notice = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AVmOnAHostThatStopsAnswering_IsUnknown_NeverRecreatedElsewhere_AndSeenAgainWhenTheHostIsBack()
    {
        var id = await fixture.VmOnAsync(fixture.Remote, running: false);
        var restart = fixture.KillDaemon();
        try
        {
            await Eventually.WaitUntilAsync(async () => !(bool)Host(await HostsAsync())["reachable"]!, Notice, "the host listed unreachable");
            Assert.Contains("Cannot reach", (string?)Host(await HostsAsync())["error"], StringComparison.Ordinal);
            var unknown = await fixture.WaitAsync(id, v => (string?)v["status"]?["phase"] == "unknown", Notice, "the VM's phase unknown");
            var message = (string?)unknown["status"]!["lastError"];
            Assert.Contains("does not answer", message, StringComparison.Ordinal);
            Assert.Contains("cannot be recreated elsewhere", message, StringComparison.Ordinal);
            Assert.Equal(fixture.Remote, (string?)unknown["status"]!["host"]);
            Assert.Equal(fixture.Remote, (string?)unknown["spec"]!["host"]);
            Assert.DoesNotContain(VmBuilder.DomainName(id), MoveHostsPortal.DomainsOn(MoveHostsPortal.Local));
        }
        finally
        {
            await restart();
        }
        var back = await fixture.WaitAsync(id, v => (string?)v["status"]?["phase"] == "stopped", Notice, "the VM seen again");
        Assert.Equal(fixture.Remote, (string?)back["status"]!["host"]);
        Assert.True((bool)Host(await HostsAsync())["reachable"]!);
        Assert.DoesNotContain(VmBuilder.DomainName(id), MoveHostsPortal.DomainsOn(MoveHostsPortal.Local));
    }

    private JsonObject Host(JsonArray hosts) => hosts.Single(h => (string)h!["uri"]! == fixture.Remote)!.AsObject();

    private async Task<JsonArray> HostsAsync() => JsonNode.Parse(await fixture.Web.God.GetStringAsync("/api/v1/hosts"))!.AsArray();
}
