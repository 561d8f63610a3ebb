using System.Net;
using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Integration;

/// <summary>
/// Networks realised on real libvirtd + dnsmasq, proven from inside real QEMU guests (their serial consoles and
/// user-data scripts): reservations, SLAAC, DHCPv6, a VM as gateway, isolation between networks, hot-plug.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class RealNetworkTests : IDisposable
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(180);
    private readonly KrautAppFactory _app = new(KrautAppFactory.SystemDriver, seedImage: "guest");
    private readonly KrautApi _api;

    public RealNetworkTests() => _api = new KrautApi(_app.CreateClient());

    [Fact]
    public async Task GuestsOnADhcpSlaacNetwork_GetTheirReservations_RouteThroughTheGatewayVm_AndCannotReachAnotherNetwork()
    {
        var (lan, other) = (TestSubnets.FreePrefix(200, 240), TestSubnets.FreePrefix(200, 240));
        var lan6 = RandomUlaPrefix();
        var lanId = await _api.CreateAsync("networks", Network("lan", new JsonObject
        {
            ["ipv4Cidr"] = $"{lan}.0/24",
            ["ipv4Mode"] = "dhcp",
            ["ipv6Prefix"] = $"{lan6}/64",
            ["ipv6Mode"] = "slaac",
        }));
        var otherId = await _api.CreateAsync("networks", Network("other", new JsonObject { ["ipv4Cidr"] = $"{other}.0/24", ["ipv4Mode"] = "dhcp" }));

        // The router is defined stopped, made the gateway, then started: a network nobody is plugged into restarts freely.
        var routerIp = $"{lan}.2";
        var router = await CreateVmAsync("router", Nic(lanId, routerIp), userData: null, power: "stopped");
        await PatchAsync($"networks/{lanId}", new JsonObject
        {
            ["spec"] = new JsonObject { ["gateway"] = new JsonObject { ["kind"] = "vm", ["vmId"] = router.Id.ToString(), ["nicId"] = router.NicIds[0].ToString() } },
        });
        await WaitForNetworkAsync(lanId, s => s.GetProperty("observedVersion").GetInt64() >= 2 && Message(s) is null,
            "the gateway change to be realised");
        await _api.ActAsync(router.Id, "start");
        var stranger = await CreateVmAsync("stranger", Nic(otherId, $"{other}.10"), userData: null);
        await GuestConsole.WaitForReadyAsync(ConsolePath(router.Id), Boot);
        var strangerReady = await GuestConsole.WaitForReadyAsync(ConsolePath(stranger.Id), Boot);
        Assert.Equal($"{other}.10", strangerReady.Ip);

        var clientIp = $"{lan}.10";
        var client = await CreateVmAsync("client", Nic(lanId, clientIp), userData: $"""
            #!/bin/sh
            for i in $(seq 1 60); do ping -c 1 -W 1 {routerIp} >/dev/null 2>&1 && break; done
            ping -c 3 {routerIp} >/dev/null && echo KRAUT-TEST-PING-ROUTER=ok
            # busybox wget segfaults in this guest (static glibc NSS); nc speaks HTTP/1.0 just as well.
            printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 10 {routerIp} 80 >/tmp/page 2>&1
            echo "KRAUT-TEST-HTTP=$(grep -o 'kraut-guest [a-z0-9-]* ok' /tmp/page)"
            if ping -c 3 -W 1 {other}.10 >/dev/null 2>&1; then echo KRAUT-TEST-PING-OTHER=reached; else echo KRAUT-TEST-PING-OTHER=unreachable; fi
            """);
        var console = ConsolePath(client.Id);
        await WaitForLineAsync(console, "KRAUT-GUEST-USERDATA-EXIT=");
        var log = GuestConsole.Read(console);

        // DHCP handed out exactly the reservation, and announced the gateway VM as the router.
        Assert.Contains($"KRAUT-GUEST-READY iface=eth0 ip={clientIp} mac={client.Macs[0]}", log, StringComparison.Ordinal);
        Assert.Contains($"KRAUT-GUEST-ROUTE default via={routerIp} iface=eth0", log, StringComparison.Ordinal);
        // The kernel configured its SLAAC address from the host's router advertisements: prefix + modified EUI-64.
        Assert.Contains($"family=inet6 addr={Eui64(lan6, client.Macs[0])}/64 source=slaac", log, StringComparison.Ordinal);
        // Guest to guest on one network, ICMP and HTTP; nothing to a guest on another network.
        Assert.Contains("KRAUT-TEST-PING-ROUTER=ok", log, StringComparison.Ordinal);
        Assert.Contains("KRAUT-TEST-HTTP=kraut-guest router ok", log, StringComparison.Ordinal);
        Assert.Contains("KRAUT-TEST-PING-OTHER=unreachable", log, StringComparison.Ordinal);
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
        {
            // ...although that guest is up and answering (the host sits on both bridges).
            Assert.Contains("kraut-guest stranger ok", await http.GetStringAsync($"http://{other}.10/"), StringComparison.Ordinal);
        }

        // Kraut saw the lease: in the network's status and in the VM's observed addresses.
        await WaitForNetworkAsync(lanId, s => s.GetProperty("leases").EnumerateArray()
            .Any(l => l.GetProperty("mac").GetString() == client.Macs[0] && l.GetProperty("address").GetString() == clientIp), "the client's lease in the network status");
        await Eventually.WaitUntilAsync(async () => (await _api.GetVmAsync(client.Id))!.Value.GetProperty("status").GetProperty("addresses").EnumerateArray()
            .Any(a => a.GetProperty("address").GetString() == clientIp), TimeSpan.FromSeconds(30), "the reserved address in the VM's status");

        // The gateway VM goes away: the network says so and stays active for everyone else.
        await _api.DeleteVmAsync(router.Id);
        var status = await WaitForNetworkAsync(lanId, s => Message(s)?.Contains("gateway VM", StringComparison.Ordinal) == true,
            "the network to report its missing gateway");
        Assert.Equal("active", status.GetProperty("phase").GetString());
    }

    [Fact]
    public async Task GuestOnADualStackNatNetwork_GetsDnsDomainMtu_AndAHotPluggedNicGetsItsReservation()
    {
        var net = TestSubnets.FreePrefix(200, 240);
        var net6 = RandomUlaPrefix();
        var networkId = await _api.CreateAsync("networks", Network("dual", new JsonObject
        {
            ["ipv4Cidr"] = $"{net}.0/24",
            ["ipv4Mode"] = "dhcp",
            ["ipv6Prefix"] = $"{net6}/64",
            ["ipv6Mode"] = "dhcpv6",
            ["gateway"] = new JsonObject { ["kind"] = "host", ["nat"] = true },
            ["dnsServers"] = new JsonArray("192.0.2.53"),
            ["dnsDomain"] = "dual.test",
            ["mtu"] = 1400,
        }));
        var (ip1, ip6) = ($"{net}.10", $"{net6}10");
        var vm = await CreateVmAsync("dual", Nic(networkId, ip1, ip6), userData: """
            #!/bin/sh
            echo "KRAUT-TEST-MTU=$(cat /sys/class/net/eth0/mtu)"
            sed 's/^/KRAUT-TEST-RESOLV=/' /etc/resolv.conf
            echo KRAUT-TEST-CONFIG-SHOWN
            # The NIC the test plugs in later: this guest's /init only starts DHCP for NICs present at boot.
            for i in $(seq 1 400); do [ -e /sys/class/net/eth1 ] && break; sleep 1; done
            ip link set eth1 up
            udhcpc -i eth1 -s /etc/udhcpc.sh -n -q -t 10 -T 2
            """);
        var console = ConsolePath(vm.Id);
        var ready = await GuestConsole.WaitForReadyAsync(console, Boot);
        Assert.Equal(ip1, ready.Ip);
        // The host routes (NAT) for this network, so it is the guests' router; DNS, domain and MTU came along.
        await WaitForLineAsync(console, "KRAUT-TEST-CONFIG-SHOWN");
        var log = GuestConsole.Read(console);
        Assert.Contains($"KRAUT-GUEST-ROUTE default via={net}.1 iface=eth0", log, StringComparison.Ordinal);
        Assert.Contains("KRAUT-TEST-MTU=1400", log, StringComparison.Ordinal);
        Assert.Contains("KRAUT-TEST-RESOLV=nameserver 192.0.2.53", log, StringComparison.Ordinal);
        Assert.Contains("KRAUT-TEST-RESOLV=search dual.test", log, StringComparison.Ordinal);

        // Hot-plug a second NIC with its own address: the reservation is in dnsmasq before the NIC is in the guest.
        var ip2 = $"{net}.11";
        var current = (await _api.GetVmAsync(vm.Id))!.Value.GetProperty("spec").GetProperty("nics");
        var nics = JsonNode.Parse(current.GetRawText())!.AsArray();
        nics.Add(Nic(networkId, ip2));
        await PatchAsync($"vms/{vm.Id}", new JsonObject { ["spec"] = new JsonObject { ["nics"] = nics } });
        var mac2 = (await _api.GetVmAsync(vm.Id))!.Value.GetProperty("spec").GetProperty("nics")[1].GetProperty("mac").GetString()!;
        var second = await GuestConsole.WaitForReadyAsync(console, Boot, count: 2);
        Assert.Equal(("eth1", ip2, mac2), (second.Iface, second.Ip, second.Mac));
        Assert.Equal("running", await _api.PhaseAsync(vm.Id));

        await WaitForNetworkAsync(networkId, s => s.GetProperty("leases").EnumerateArray().Any(l => l.GetProperty("address").GetString() == ip2),
            "the hot-plugged NIC's lease in the network status");
    }

    [Fact]
    public async Task GuestOnADhcpv6Network_GetsItsReservedIpv6Address()
    {
        var net = TestSubnets.FreePrefix(200, 240);
        var net6 = RandomUlaPrefix();
        var networkId = await _api.CreateAsync("networks", Network("v6", new JsonObject
        {
            ["ipv4Cidr"] = $"{net}.0/24",
            ["ipv6Prefix"] = $"{net6}/64",
            ["ipv6Mode"] = "dhcpv6",
        }));
        var ip6 = $"{net6}10";
        var vm = await CreateVmAsync("v6", Nic(networkId, $"{net}.10", ip6), userData: null);
        var console = ConsolePath(vm.Id);
        await WaitForLineAsync(console, $"family=inet6 addr={ip6}/");
        Assert.Contains($"KRAUT-GUEST-ADDR iface=eth0 mac={vm.Macs[0]} family=inet6 addr={ip6}/128 source=dhcpv6", GuestConsole.Read(console), StringComparison.Ordinal);
        await WaitForNetworkAsync(networkId, s => s.GetProperty("leases").EnumerateArray().Any(l => l.GetProperty("address").GetString() == ip6), "the DHCPv6 lease");
    }

    private static JsonObject Network(string name, JsonObject spec) => new() { ["name"] = name, ["metadata"] = new JsonObject(), ["spec"] = spec };

    private static JsonObject Nic(Guid networkId, string ipv4, string? ipv6 = null)
    {
        var nic = new JsonObject { ["networkId"] = networkId.ToString(), ["ipv4Address"] = ipv4 };
        if (ipv6 is not null) nic["ipv6Address"] = ipv6;
        return nic;
    }

    private static string? Message(JsonElement status) => status.TryGetProperty("message", out var m) ? m.GetString() : null;

    private string ConsolePath(Guid id) => Path.Combine(_app.DataDirectory, "consoles", $"{id}.log");

    private static Task WaitForLineAsync(string console, string marker) =>
        Eventually.WaitUntilAsync(() => Task.FromResult(GuestConsole.Read(console).Contains(marker, StringComparison.Ordinal)), Boot,
            $"'{marker}' on {console}");

    private async Task<JsonElement> WaitForNetworkAsync(Guid id, Func<JsonElement, bool> condition, string what)
    {
        JsonElement status = default;
        try
        {
            await Eventually.WaitUntilAsync(async () =>
            {
                status = (await _api.Http.GetFromJsonAsync<JsonElement>($"/api/v1/networks/{id}")).GetProperty("status");
                return condition(status);
            }, TimeSpan.FromSeconds(60), what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Last status: {status}", e);
        }
        return status;
    }

    private sealed record CreatedVm(Guid Id, IReadOnlyList<string> Macs, IReadOnlyList<Guid> NicIds);

    private async Task<CreatedVm> CreateVmAsync(string name, JsonObject nic, string? userData, string power = "running")
    {
        var spec = new JsonObject
        {
            ["imageId"] = (await _api.IdOfAsync("images", "kraut-test-guest")).ToString(),
            ["machineTypeId"] = (await _api.IdOfAsync("machine-types", "small")).ToString(),
            ["memoryMiB"] = 256,
            ["nics"] = new JsonArray(nic),
            ["power"] = power,
        };
        if (userData is not null) spec["userData"] = userData.ReplaceLineEndings("\n") + "\n";
        var id = await _api.CreateAsync("vms", new JsonObject { ["name"] = name, ["metadata"] = new JsonObject(), ["spec"] = spec });
        var nics = (await _api.GetVmAsync(id))!.Value.GetProperty("spec").GetProperty("nics").EnumerateArray().ToList();
        return new CreatedVm(id, nics.Select(n => n.GetProperty("mac").GetString()!).ToList(), nics.Select(n => n.GetProperty("id").GetGuid()).ToList());
    }

    private async Task PatchAsync(string path, JsonObject patch)
    {
        using var content = new StringContent(patch.ToJsonString(), System.Text.Encoding.UTF8, "application/merge-patch+json");
        var response = await _api.Http.PatchAsync($"/api/v1/{path}", content);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"patch {path} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The address SLAAC makes from a /64 and a MAC (modified EUI-64, RFC 4291 appendix A).</summary>
    private static string Eui64(string prefix, string mac)
    {
        var m = mac.Split(':').Select(h => Convert.ToByte(h, 16)).ToArray();
        var bytes = IPAddress.Parse(prefix).GetAddressBytes();
        byte[] id = [(byte)(m[0] ^ 0x02), m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]];
        id.CopyTo(bytes, 8);
        return new IPAddress(bytes).ToString();
    }

    /// <summary>A random unique-local /64 (fd4b:…), written as its "prefix::" form.</summary>
    private static string RandomUlaPrefix() => $"fd4b:{Random.Shared.Next(1, 0xffff):x}:{Random.Shared.Next(1, 0xffff):x}::";

    public void Dispose() => _app.Dispose();
}
