using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Integration;

/// <summary>
/// A hostile tenant's guest on a shared network, proven from inside real QEMU guests: it cannot send from an address
/// that is not its own, cannot take over a neighbour's address with ARP, and its DHCP server hands nobody a lease.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class RealAntiSpoofingTests : IDisposable
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(180);
    private readonly KrautAppFactory _app = new(KrautAppFactory.SystemDriver, seedImage: "guest");
    private readonly KrautApi _api;

    public RealAntiSpoofingTests() => _api = new KrautApi(_app.CreateClient());

    [Fact]
    public async Task AGuest_CannotSpoofAnAddress_PoisonArpForANeighbour_OrServeDhcp_WhileItsOwnAddressWorks()
    {
        // Static addressing: dnsmasq serves no DHCP here, so a lease the client gets can only come from the rogue server.
        var lan = TestSubnets.FreePrefix(200, 240);
        var networkId = await _api.CreateAsync("networks", new JsonObject
        {
            ["name"] = "shared-lan",
            ["metadata"] = new JsonObject(),
            ["spec"] = new JsonObject { ["ipv4Cidr"] = $"{lan}.0/24", ["ipv4Mode"] = "static" },
        });
        var (host, victimIp, attackerIp, spoofedIp, clientIp) = ($"{lan}.1", $"{lan}.10", $"{lan}.20", $"{lan}.30", $"{lan}.40");
        var victim = await CreateVmAsync("victim", networkId, victimIp, userData: null);
        var attacker = await CreateVmAsync("attacker", networkId, attackerIp, userData: $"""
            #!/bin/sh
            for i in $(seq 1 30); do ping -c 1 -W 1 {host} >/dev/null 2>&1 && break; done
            if ping -c 3 -W 1 {host} >/dev/null 2>&1; then echo KRAUT-TEST-OWN-ADDRESS=reached; else echo KRAUT-TEST-OWN-ADDRESS=unreachable; fi
            ip addr add {spoofedIp}/24 dev eth0
            if ping -c 3 -W 1 -I {spoofedIp} {host} >/dev/null 2>&1; then echo KRAUT-TEST-SPOOFED-ADDRESS=reached; else echo KRAUT-TEST-SPOOFED-ADDRESS=unreachable; fi
            ip addr del {spoofedIp}/24 dev eth0
            printf 'start {lan}.200\nend {lan}.210\ninterface eth0\nlease_file /run/udhcpd.leases\noption subnet 255.255.255.0\noption router {attackerIp}\n' >/run/udhcpd.conf
            touch /run/udhcpd.leases
            udhcpd /run/udhcpd.conf && echo KRAUT-TEST-ROGUE-DHCP=started
            # Claim the victim's address: answer ARP for it and announce it, over and over.
            ip addr add {victimIp}/32 dev eth0
            arping -U -c 600 -I eth0 -s {victimIp} {victimIp} >/dev/null 2>&1 &
            echo KRAUT-TEST-ARP-CLAIM=started
            """);
        var attackerConsole = ConsolePath(attacker);
        await WaitForLineAsync(attackerConsole, "KRAUT-TEST-ARP-CLAIM=started");
        await GuestConsole.WaitForReadyAsync(ConsolePath(victim), Boot);

        // Every NIC carries Kraut's filter with its own address.
        string xml;
        using (var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver))
        using (var domain = libvirt.FindDomain(attacker)!)
            xml = domain.GetXml();
        Assert.Contains($"<filterref filter='{GuestFilters.Guest}'>", xml, StringComparison.Ordinal);
        Assert.Contains($"<parameter name='IP' value='{attackerIp}'/>", xml, StringComparison.Ordinal);

        var log = GuestConsole.Read(attackerConsole);
        Assert.Contains("KRAUT-TEST-OWN-ADDRESS=reached", log, StringComparison.Ordinal);
        Assert.Contains("KRAUT-TEST-SPOOFED-ADDRESS=unreachable", log, StringComparison.Ordinal);
        Assert.Contains("KRAUT-TEST-ROGUE-DHCP=started", log, StringComparison.Ordinal);

        // A guest asking for DHCP on this network hears no answer: the only server is the attacker's (started above).
        // Created now, it boots while the host checks the victim below, rather than after.
        var client = await CreateVmAsync("client", networkId, clientIp, userData: """
            #!/bin/sh
            printf '#!/bin/sh\n[ "$1" = bound ] && echo "KRAUT-TEST-ROGUE-LEASE ip=$ip router=$router" >>/run/leases\nexit 0\n' >/run/record-lease.sh
            chmod +x /run/record-lease.sh
            udhcpc -i eth0 -n -q -t 5 -T 2 -s /run/record-lease.sh >/dev/null 2>&1
            cat /run/leases 2>/dev/null
            echo KRAUT-TEST-DHCP-DONE
            """);

        // While the attacker keeps claiming the victim's address, the host still reaches the victim there.
        var victimMac = await MacOfAsync(victim);
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
        {
            for (var i = 0; i < 8; i++)
            {
                Assert.Contains("kraut-guest victim ok", await http.GetStringAsync($"http://{victimIp}/"), StringComparison.Ordinal);
                Assert.Contains(victimMac, Neighbour(victimIp), StringComparison.OrdinalIgnoreCase);
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
        }

        var clientConsole = ConsolePath(client);
        await WaitForLineAsync(clientConsole, "KRAUT-TEST-DHCP-DONE");
        Assert.DoesNotContain("KRAUT-TEST-ROGUE-LEASE", GuestConsole.Read(clientConsole), StringComparison.Ordinal);
        Assert.Contains($"KRAUT-GUEST-READY iface=eth0 ip={clientIp}", GuestConsole.Read(clientConsole), StringComparison.Ordinal);
    }

    /// <summary>The host's neighbour entry for <paramref name="address"/> (ip neigh), e.g. "10.1.2.10 dev virbr3 lladdr 52:54:00:… REACHABLE".</summary>
    private static string Neighbour(string address)
    {
        using var ip = Process.Start(new ProcessStartInfo("ip", ["neigh", "show", address]) { RedirectStandardOutput = true })!;
        var output = ip.StandardOutput.ReadToEnd();
        ip.WaitForExit();
        return output;
    }

    private async Task<string> MacOfAsync(Guid vm) =>
        (await _api.GetVmAsync(vm))!.Value.GetProperty("spec").GetProperty("nics")[0].GetProperty("mac").GetString()!;

    private string ConsolePath(Guid id) => Path.Combine(_app.DataDirectory, "consoles", $"{id}.log");

    private static Task WaitForLineAsync(string console, string marker) =>
        Eventually.WaitUntilAsync(() => Task.FromResult(GuestConsole.Read(console).Contains(marker, StringComparison.Ordinal)), Boot,
            $"'{marker}' on {console}");

    private async Task<Guid> CreateVmAsync(string name, Guid networkId, string ipv4, string? userData)
    {
        var spec = new JsonObject
        {
            ["imageId"] = (await _api.IdOfAsync("images", "kraut-test-guest")).ToString(),
            ["machineTypeId"] = (await _api.IdOfAsync("machine-types", "small")).ToString(),
            ["memoryMiB"] = 256,
            ["nics"] = new JsonArray(new JsonObject { ["networkId"] = networkId.ToString(), ["ipv4Address"] = ipv4 }),
        };
        if (userData is not null) spec["userData"] = userData.ReplaceLineEndings("\n") + "\n";
        return await _api.CreateAsync("vms", new JsonObject { ["name"] = name, ["metadata"] = new JsonObject(), ["spec"] = spec });
    }

    public void Dispose() => _app.Dispose();
}
