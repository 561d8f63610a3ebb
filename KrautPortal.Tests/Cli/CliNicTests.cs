using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Cli;

/// <summary><c>kraut vm nic …</c> and <c>kraut network addresses</c> on a VM of the test driver.</summary>
[Collection(CliCollection.Name)]
public sealed class CliNicTests(CliPortal portal)
{
    [Fact]
    public async Task Nic_AddListRemove_RoundTrip_ShownInTheNetworksAddresses()
    {
        var vm = ApiClient.UniqueName("nic");
        await portal.ExpectAsync(0, "vm", "create", vm, "--image", "kraut-test-guest", "--network", "default", "--type", "small", "--wait", "--timeout", "60s");
        try
        {
            var before = JsonNode.Parse((await portal.ExpectAsync(0, "vm", "nic", "list", vm, "-o", "json")).Out)!.AsArray();
            Assert.Single(before);

            var added = JsonNode.Parse((await portal.ExpectAsync(0, "vm", "nic", "add", vm, "--network", "default", "-o", "json")).Out)!;
            var mac = (string)added["mac"]!;
            var ipv4 = (string)added["ipv4Address"]!;

            var table = (await portal.ExpectAsync(0, "vm", "nic", "list", vm)).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["ID", "NETWORK", "MAC", "IPV4", "IPV6"], table[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            var row = Assert.Single(table[1..], l => l.Contains(mac, StringComparison.Ordinal));
            Assert.Equal([(string)added["id"]!, "default", mac, ipv4], row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..4]);

            var addresses = JsonNode.Parse((await portal.ExpectAsync(0, "network", "addresses", "default", "-o", "json")).Out)!.AsArray();
            var address = Assert.Single(addresses, a => (string?)a!["mac"] == mac)!;
            Assert.Equal(ipv4, (string?)address["address"]);
            Assert.Equal(vm, (string?)address["vmName"]);

            var removed = await portal.ExpectAsync(0, "vm", "nic", "remove", vm, mac, "--yes");
            Assert.Contains($"Removed the NIC {mac}", removed.Out, StringComparison.Ordinal);
            var after = JsonNode.Parse((await portal.ExpectAsync(0, "vm", "nic", "list", vm, "-o", "json")).Out)!.AsArray();
            Assert.Equal(before.Select(n => (string?)n!["id"]), after.Select(n => (string?)n!["id"]));

            var gone = await portal.ExpectAsync(3, "vm", "nic", "remove", vm, mac, "--yes");
            Assert.Contains($"has no NIC '{mac}'", gone.Err, StringComparison.Ordinal);
            var badNetwork = await portal.ExpectAsync(3, "vm", "nic", "add", vm, "--network", "no-such-network");
            Assert.Contains("no network named 'no-such-network'", badNetwork.Err, StringComparison.Ordinal);
            // The API's own sentence and field for an address it refuses.
            var badAddress = await portal.ExpectAsync(2, "vm", "nic", "add", vm, "--network", "default", "--ipv4", "not-an-address");
            Assert.StartsWith("Error: ", badAddress.Err, StringComparison.Ordinal);
        }
        finally
        {
            await portal.RunAsync("vm", "delete", vm, "--yes", "--wait", "--timeout", "60s");
        }
    }
}
