using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautPortal.Tests.CloudInit;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Integration;

/// <summary>
/// The cloud-init seed end to end on real libvirtd + QEMU: two guests on a Static network read their seed CDs,
/// configure the addresses Kraut gave them, take their host names and keys, and run their user-data scripts,
/// one of which pings the other. The guests report all of it on their serial consoles.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class RealGuestSeedTests : IDisposable
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(120);
    private readonly KrautAppFactory _app = new(KrautAppFactory.SystemDriver, seedImage: "guest");
    private readonly KrautApi _api;

    public RealGuestSeedTests() => _api = new KrautApi(_app.CreateClient());

    [Fact]
    public async Task GuestsOnAStaticNetwork_TakeAddressHostnameKeysAndUserDataFromTheSeed()
    {
        var prefix = TestSubnets.FreePrefix(160, 200);
        var networkId = await _api.CreateAsync("networks", new JsonObject
        {
            ["name"] = "static-seed",
            ["metadata"] = new JsonObject(),
            ["spec"] = new JsonObject
            {
                ["ipv4Cidr"] = $"{prefix}.0/24",
                ["ipv4Mode"] = "static",
                ["gateway"] = new JsonObject { ["kind"] = "host" },
                ["dnsDomain"] = "seed.test",
            },
        });
        var (alphaIp, betaIp) = ($"{prefix}.10", $"{prefix}.11");
        var keys = new[] { TestKeys.Ed25519(), TestKeys.Rsa() };
        var alpha = await CreateVmAsync("Seed Alpha", networkId, alphaIp, "alpha", keys,
            "#!/bin/sh\necho \"KRAUT-TEST-HOSTNAME=$(hostname)\"\ngrep -c ssh- /root/.ssh/authorized_keys\n");
        // The other guest may still be booting: wait for it, then ping it the way the brief's tests do.
        var beta = await CreateVmAsync("Seed Beta", networkId, betaIp, null, [],
            $"#!/bin/sh\nfor i in $(seq 1 60); do ping -c 1 -W 1 {alphaIp} >/dev/null 2>&1 && break; done\nping -c 3 {alphaIp}\n");

        var alphaConsole = ConsolePath(alpha.Id);
        var betaConsole = ConsolePath(beta.Id);
        await WaitForLineAsync(alphaConsole, "KRAUT-GUEST-USERDATA-EXIT=");
        var alphaLog = GuestConsole.Read(alphaConsole);
        Assert.Contains($"KRAUT-GUEST-SEED dev=/dev/sr0 instance-id={alpha.Id}", alphaLog, StringComparison.Ordinal);
        Assert.Contains("KRAUT-GUEST-SSHKEYS count=2", alphaLog, StringComparison.Ordinal);
        Assert.Contains("KRAUT-GUEST-BOOTED hostname=alpha", alphaLog, StringComparison.Ordinal);
        Assert.Contains($"KRAUT-GUEST-ADDR iface=eth0 mac={alpha.Mac} family=inet addr={alphaIp}/24 source=static", alphaLog, StringComparison.Ordinal);
        Assert.Contains($"KRAUT-GUEST-ROUTE default via={prefix}.1 iface=eth0", alphaLog, StringComparison.Ordinal);
        Assert.Contains("KRAUT-TEST-HOSTNAME=alpha", alphaLog, StringComparison.Ordinal);
        Assert.Contains("KRAUT-GUEST-USERDATA-EXIT=0", alphaLog, StringComparison.Ordinal);

        await WaitForLineAsync(betaConsole, "KRAUT-GUEST-USERDATA-EXIT=");
        var betaLog = GuestConsole.Read(betaConsole);
        Assert.Contains("KRAUT-GUEST-BOOTED hostname=seed-beta", betaLog, StringComparison.Ordinal);
        Assert.Contains("KRAUT-GUEST-SSHKEYS count=0", betaLog, StringComparison.Ordinal);
        Assert.Contains($"family=inet addr={betaIp}/24 source=static", betaLog, StringComparison.Ordinal);
        Assert.Contains("3 packets transmitted, 3 packets received", betaLog, StringComparison.Ordinal);
        Assert.Contains("KRAUT-GUEST-USERDATA-EXIT=0", betaLog, StringComparison.Ordinal);
        Assert.DoesNotContain("source=dhcp", alphaLog + betaLog, StringComparison.Ordinal);

        // The host reaches the static address too: it is really configured, not only printed.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        Assert.Contains("kraut-guest alpha ok", await http.GetStringAsync($"http://{alphaIp}/"), StringComparison.Ordinal);

        // A new host name reaches the running guest's seed CD (the medium is changed live): its reboot reads it.
        using (var patch = await _api.Http.PatchAsync($"/api/v1/vms/{alpha.Id}",
                   new StringContent("""{"spec":{"hostname":"alpha-2"}}""", System.Text.Encoding.UTF8, "application/merge-patch+json")))
            Assert.True(patch.IsSuccessStatusCode, await patch.Content.ReadAsStringAsync());
        await Eventually.WaitUntilAsync(async () => (await _api.GetVmAsync(alpha.Id))!.Value.GetProperty("status").GetProperty("observedVersion").GetInt64() >= 2,
            TimeSpan.FromSeconds(30), "the new host name to be applied");
        await _api.ActAsync(alpha.Id, "reboot");
        await WaitForLineAsync(alphaConsole, "KRAUT-GUEST-BOOTED hostname=alpha-2");

        // The seed goes with the VM.
        var seed = Path.Combine(_app.DataDirectory, "cloud-init", $"{alpha.Id}.iso");
        Assert.True(File.Exists(seed));
        await _api.DeleteVmAsync(alpha.Id);
        await Eventually.WaitUntilAsync(async () => await _api.GetVmAsync(alpha.Id) is null, TimeSpan.FromSeconds(30), "the VM to be gone");
        Assert.False(File.Exists(seed), "the seed ISO is removed with the VM");
    }

    private string ConsolePath(Guid id) => Path.Combine(_app.DataDirectory, "consoles", $"{id}.log");

    private static Task WaitForLineAsync(string console, string marker) =>
        Eventually.WaitUntilAsync(() => Task.FromResult(GuestConsole.Read(console).Contains(marker, StringComparison.Ordinal)), Boot,
            $"'{marker}' on {console}");

    private async Task<(Guid Id, string Mac)> CreateVmAsync(string name, Guid networkId, string ip, string? hostname, string[] keys, string userData)
    {
        var spec = new JsonObject
        {
            ["imageId"] = (await _api.IdOfAsync("images", "kraut-test-guest")).ToString(),
            ["machineTypeId"] = (await _api.IdOfAsync("machine-types", "small")).ToString(),
            ["memoryMiB"] = 256,
            ["nics"] = new JsonArray(new JsonObject { ["networkId"] = networkId.ToString(), ["ipv4Address"] = ip }),
            ["sshAuthorizedKeys"] = new JsonArray(keys.Select(k => (JsonNode)JsonValue.Create(k)).ToArray()),
            ["userData"] = userData,
        };
        if (hostname is not null) spec["hostname"] = hostname;
        var id = await _api.CreateAsync("vms", new JsonObject { ["name"] = name, ["metadata"] = new JsonObject(), ["spec"] = spec });
        var vm = (await _api.GetVmAsync(id))!.Value;
        return (id, vm.GetProperty("spec").GetProperty("nics")[0].GetProperty("mac").GetString()!);
    }

    public void Dispose() => _app.Dispose();
}
