using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Routers;

/// <summary>
/// The traffic tests' own instrument, checked on its own before it judges a router: a network namespace plugged into a
/// Kraut network's bridge reaches an ordinary test guest there, tells an open port from a closed one, sees the
/// guest's own address as the source of the guest's requests, and leaves nothing behind.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class TrafficNamespaceTests : IAsyncLifetime
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(240);
    private readonly PortalProcess _portal = new();

    public Task InitializeAsync() => _portal.StartAsync();

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task ANamespaceOnANetworksBridge_ReachesAGuestsWebPage_AndTheGuestReachesIt_ThenLeavesNothingBehind()
    {
        using var client = _portal.CreateClient();
        var api = new KrautApi(client);
        var lan = TestSubnets.FreePrefix(200, 240);
        var networkId = await api.CreateAsync("networks", new JsonObject
        {
            ["name"] = "netns-lan",
            ["metadata"] = new JsonObject(),
            ["spec"] = new JsonObject { ["ipv4Cidr"] = $"{lan}.0/24", ["ipv4Mode"] = "dhcp", ["excluded"] = new JsonArray($"{lan}.200-{lan}.210") },
        });
        var bridge = await BridgeOfAsync(client, networkId);
        var (guestIp, nsIp) = ($"{lan}.10", $"{lan}.200");

        NetworkNamespace ns;
        using (ns = NetworkNamespace.OnBridge(bridge, [$"{nsIp}/24"]))
        {
            ns.ServeHttp(8000, "netns ok");
            var vm = await api.CreateAsync("vms", new JsonObject
            {
                ["name"] = "netns-guest",
                ["metadata"] = new JsonObject(),
                ["spec"] = new JsonObject
                {
                    ["imageId"] = (await api.IdOfAsync("images", "kraut-test-guest")).ToString(),
                    ["machineTypeId"] = (await api.IdOfAsync("machine-types", "small")).ToString(),
                    ["memoryMiB"] = 256,
                    ["nics"] = new JsonArray(new JsonObject { ["networkId"] = networkId.ToString(), ["ipv4Address"] = guestIp }),
                    ["userData"] = $"""
                        #!/bin/sh
                        for i in $(seq 1 60); do
                          printf 'GET /cgi-bin/whoami HTTP/1.0\r\n\r\n' | nc -w 5 {nsIp} 8000 >/tmp/who 2>&1 && grep -q '^\[' /tmp/who && break
                          sleep 1
                        done
                        echo "KRAUT-TEST-SEEN-AS=$(tail -n 1 /tmp/who)"

                        """,
                },
            });
            var console = _portal.ConsoleFor(vm);
            await GuestConsole.WaitForReadyAsync(console, Boot);

            var page = await Eventually.WaitForAsync(async () => await ns.GetAsync($"http://{guestIp}/", TimeSpan.FromSeconds(3)) is { Answered: true } p ? p : null,
                TimeSpan.FromSeconds(60), "the guest's page from the namespace");
            Assert.Contains("kraut-guest netns-guest ok", page.Body, StringComparison.Ordinal);
            Assert.Equal(ProbeOutcome.Answered, await ns.ConnectAsync(guestIp, 80, TimeSpan.FromSeconds(3)));
            // Nothing listens on 81: the guest's kernel answers with a reset.
            Assert.Equal(ProbeOutcome.Refused, await ns.ConnectAsync(guestIp, 81, TimeSpan.FromSeconds(3)));
            Assert.Equal(ProbeOutcome.Refused, (await ns.GetAsync($"http://{guestIp}:81/", TimeSpan.FromSeconds(3))).Outcome);
            // An address nobody has: the SYN goes unanswered.
            Assert.Equal(ProbeOutcome.TimedOut, (await ns.GetAsync($"http://{lan}.99/", TimeSpan.FromSeconds(2))).Outcome);
            Assert.True(await ns.PingAsync(guestIp, 2), "the guest answers ping from the namespace");

            // The other way: the guest's request reaches the namespace's server, which sees the guest's own address.
            await Eventually.WaitUntilAsync(() => GuestConsole.Read(console).Contains("KRAUT-TEST-SEEN-AS=", StringComparison.Ordinal), Boot,
                "the guest's whoami line");
            Assert.Equal(guestIp, SeenAs(GuestConsole.Read(console)));
            var whoami = await ns.GetAsync($"http://{nsIp}:8000/cgi-bin/whoami", TimeSpan.FromSeconds(3));
            Assert.Equal(nsIp, NetworkNamespace.WhoamiAddress(whoami.Body));

            // The host's own view of its addresses did not change: the namespace's address lives only inside it.
            Assert.DoesNotContain(nsIp, Tool.Run("ip", "-4", "addr", "show"), StringComparison.Ordinal);

            await api.DeleteVmAsync(vm);
        }

        Assert.DoesNotContain(ns.Name, Tool.Run("ip", "netns", "list"), StringComparison.Ordinal);
        Assert.Null(HostLinks.Show(ns.HostLink));
    }

    /// <summary>What the guest's whoami line says the server saw it as.</summary>
    private static string SeenAs(string console) =>
        NetworkNamespace.WhoamiAddress(console.Split('\n').Last(l => l.StartsWith("KRAUT-TEST-SEEN-AS=", StringComparison.Ordinal))["KRAUT-TEST-SEEN-AS=".Length..]);

    private static async Task<string> BridgeOfAsync(HttpClient client, Guid networkId)
    {
        string? bridge = null;
        await Eventually.WaitUntilAsync(async () =>
        {
            var status = (await client.GetFromJsonAsync<JsonElement>($"/api/v1/networks/{networkId}")).GetProperty("status");
            bridge = status.GetProperty("phase").GetString() == "active" && status.TryGetProperty("bridge", out var b) ? b.GetString() : null;
            return !string.IsNullOrEmpty(bridge);
        }, TimeSpan.FromSeconds(60), "the network to be active with a bridge");
        return bridge!;
    }
}
