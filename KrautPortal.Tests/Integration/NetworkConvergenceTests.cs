using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Integration;

/// <summary>
/// Whatever a crash leaves of a network in libvirt (defined but not started, reservations missing), the network
/// reconciler brings it back to the plan on its own, on real libvirtd + dnsmasq. No guest boots.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class NetworkConvergenceTests : IDisposable
{
    private readonly KrautAppFactory _app = new(KrautAppFactory.SystemDriver, seedImage: "guest");
    private readonly KrautApi _api;

    public NetworkConvergenceTests() => _api = new KrautApi(_app.CreateClient());

    [Fact]
    public async Task NetworkLeftStoppedWithoutItsReservations_IsStartedAndRefilled()
    {
        var prefix = $"10.{Random.Shared.Next(240, 250)}.{Random.Shared.Next(0, 256)}";
        var networkId = await _api.CreateAsync("networks", new JsonObject
        {
            ["name"] = "crashy",
            ["metadata"] = new JsonObject(),
            ["spec"] = new JsonObject { ["ipv4Cidr"] = $"{prefix}.0/24", ["ipv4Mode"] = "dhcp" },
        });
        // A stopped VM is enough for a reservation: it is defined, not booted.
        var vmId = await _api.CreateAsync("vms", new JsonObject
        {
            ["name"] = "member",
            ["metadata"] = new JsonObject(),
            ["spec"] = new JsonObject
            {
                ["imageId"] = (await _api.IdOfAsync("images", "kraut-test-guest")).ToString(),
                ["machineTypeId"] = (await _api.IdOfAsync("machine-types", "small")).ToString(),
                ["memoryMiB"] = 256,
                ["power"] = "stopped",
                ["nics"] = new JsonArray(new JsonObject { ["networkId"] = networkId.ToString(), ["ipv4Address"] = $"{prefix}.10" }),
            },
        });
        var mac = (await _api.GetVmAsync(vmId))!.Value.GetProperty("spec").GetProperty("nics")[0].GetProperty("mac").GetString()!;
        var name = await Eventually.WaitForAsync(async () =>
        {
            var status = (await _api.Http.GetFromJsonAsync<JsonElement>($"/api/v1/networks/{networkId}")).GetProperty("status");
            return status.GetProperty("phase").GetString() == "active" && status.TryGetProperty("libvirtName", out var n) ? n.GetString() : null;
        }, TimeSpan.FromSeconds(60), "the network to be active");
        var reserved = new DhcpHost(mac, $"{prefix}.10", "member");
        await Eventually.WaitUntilAsync(() => Task.FromResult(Reservations(name!).Contains(reserved)), TimeSpan.FromSeconds(60), "the reservation");

        // What a crash between "define" and "start" leaves: a stopped network whose definition lacks the reservation.
        using (var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver))
        using (var network = libvirt.FindNetwork(name!)!)
        {
            var bare = NetworkXml.Parse(network.GetXml(inactive: true)) with { Hosts = [] };
            network.Destroy();
            using var defined = libvirt.DefineNetwork(NetworkXml.Build(bare));
            // Read at once from the definition just written: the running reconciler may repair it any moment after (a
            // full run once saw the reservation back before a later read).
            Assert.Empty(NetworkXml.Parse(defined.GetXml(inactive: true)).Hosts);
        }

        await Eventually.WaitUntilAsync(() => Task.FromResult(IsActive(name!) && Reservations(name!).Contains(reserved)),
            TimeSpan.FromSeconds(60), "the network to be running again with its reservation");
    }

    private static bool IsActive(string name)
    {
        using var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver);
        using var network = libvirt.FindNetwork(name);
        return network?.IsActive == true;
    }

    private static IReadOnlyList<DhcpHost> Reservations(string name)
    {
        using var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver);
        using var network = libvirt.FindNetwork(name);
        return network is null ? [] : NetworkXml.Parse(network.GetXml(inactive: true)).Hosts;
    }

    public void Dispose() => _app.Dispose();
}
