using System.Text.Json.Nodes;

namespace KrautPortal.Tests.Cli;

/// <summary><c>kraut host list|cordon|uncordon</c> on the test driver's one host (drain is not run here: it would move every VM of the shared portal).</summary>
[Collection(CliCollection.Name)]
public sealed class CliHostTests(CliPortal portal)
{
    [Fact]
    public async Task Host_CordonByUriShowsInTheList_UncordonClears_UnknownHostIsNotFound()
    {
        var hosts = JsonNode.Parse((await portal.ExpectAsync(0, "host", "list", "-o", "json")).Out)!.AsArray();
        var host = Assert.Single(hosts)!;
        var uri = (string)host["uri"]!;
        try
        {
            // By URI: the CLI finds the id the routes take.
            await portal.ExpectAsync(0, "host", "cordon", uri);
            var table = (await portal.ExpectAsync(0, "host", "list")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["ID", "URI", "REACHABLE", "DEMO", "CORDONED", "BY", "DRAIN"], table[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("god:tests", table[1], StringComparison.Ordinal);

            await portal.ExpectAsync(0, "host", "uncordon", (string)host["id"]!);
            var after = JsonNode.Parse((await portal.ExpectAsync(0, "host", "list", "-o", "json")).Out)!.AsArray().Single()!;
            Assert.Null(after["cordon"]);

            var missing = await portal.ExpectAsync(3, "host", "cordon", "qemu+ssh://nowhere/system");
            Assert.Contains("There is no host 'qemu+ssh://nowhere/system'", missing.Err, StringComparison.Ordinal);
        }
        finally
        {
            await portal.RunAsync("host", "uncordon", uri);
        }
    }
}
