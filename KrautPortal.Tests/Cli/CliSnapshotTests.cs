using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Cli;

/// <summary><c>kraut vm snapshot …</c> on a running VM of the test driver.</summary>
[Collection(CliCollection.Name)]
public sealed class CliSnapshotTests(CliPortal portal)
{
    [Fact]
    public async Task Snapshot_TakeListDelete_ByName()
    {
        var vm = ApiClient.UniqueName("snap");
        await portal.ExpectAsync(0, "vm", "create", vm, "--image", "kraut-test-guest", "--network", "default", "--type", "small", "--wait", "--timeout", "60s");
        try
        {
            var taken = JsonNode.Parse((await portal.ExpectAsync(0, "vm", "snapshot", "take", vm, "before-upgrade", "--description", "first",
                "--wait", "--timeout", "60s", "-o", "json")).Out)!;
            Assert.Equal("before-upgrade", (string?)taken["name"]);
            Assert.Equal("ready", (string?)taken["status"]!["phase"]);

            var table = (await portal.ExpectAsync(0, "vm", "snapshot", "list", vm)).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["NAME", "PHASE", "MEMORY", "CREATED", "ID"], table[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            var row = Assert.Single(table[1..]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["before-upgrade", "ready"], row[..2]);
            Assert.Equal((string)taken["id"]!, row[^1]);

            var again = await portal.ExpectAsync(2, "vm", "snapshot", "take", vm, "");
            Assert.StartsWith("Error: ", again.Err, StringComparison.Ordinal);

            await portal.ExpectAsync(0, "vm", "snapshot", "delete", vm, "before-upgrade", "--yes", "--wait", "--timeout", "60s");
            var after = JsonNode.Parse((await portal.ExpectAsync(0, "vm", "snapshot", "list", vm, "-o", "json")).Out)!;
            Assert.Empty(after["items"]!.AsArray());
            await portal.ExpectAsync(3, "vm", "snapshot", "delete", vm, "before-upgrade", "--yes");
        }
        finally
        {
            await portal.RunAsync("vm", "delete", vm, "--yes", "--wait", "--timeout", "60s");
        }
    }
}
