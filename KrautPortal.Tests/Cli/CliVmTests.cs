using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Cli;

/// <summary>VMs end to end through the built kraut: create → wait → list by selector → stop by selector → delete.</summary>
[Collection(CliCollection.Name)]
public sealed class CliVmTests(CliPortal portal)
{
    private static string[] Create(string name, params string[] more) =>
        ["vm", "create", name, "--image", "kraut-test-guest", "--network", "default", "--type", "small", .. more];

    [Fact]
    public async Task VmLifecycle_CreateWaitListStopDelete_BySelector()
    {
        var env = ApiClient.UniqueName("env");
        var names = new[] { ApiClient.UniqueName("web"), ApiClient.UniqueName("web") }.Order(StringComparer.Ordinal).ToArray();
        try
        {
            foreach (var name in names)
            {
                var created = await portal.ExpectAsync(0, Create(name, "--meta", $"env={env}", "--wait", "--timeout", "60s", "-o", "json"));
                var vm = JsonNode.Parse(created.Out)!;
                Assert.Equal(name, (string?)vm["name"]);
                Assert.Equal("running", (string?)vm["status"]!["phase"]);
            }

            var table = await portal.ExpectAsync(0, "vm", "list", "-l", $"env={env}");
            var lines = table.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["NAME", "PHASE", "POWER", "VCPUS", "MEMORY", "HOST"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal(names.Select(n => new[] { n, "running", "running" }),
                lines[1..].Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..3]));

            var json = JsonNode.Parse((await portal.ExpectAsync(0, "vm", "list", "-l", $"env={env}", "-o", "json")).Out)!.AsArray();
            Assert.Equal(names, json.Select(v => (string?)v!["name"]));
            Assert.All(json, v => Assert.Equal(env, (string?)v!["metadata"]!["env"]));

            var columns = await portal.ExpectAsync(0, "vm", "list", "-l", $"env={env}", "-c", "name,metadata.env", "--no-headers");
            Assert.Equal(names.Select(n => $"{n} {env}"), columns.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))));

            var stopped = await portal.ExpectAsync(0, "vm", "stop", "-l", $"env={env}", "--wait", "--timeout", "60s", "-o", "json");
            var report = JsonNode.Parse(stopped.Out)!.AsArray();
            Assert.Equal(names, report.Select(r => (string?)r!["name"]).Order(StringComparer.Ordinal));
            Assert.All(report, r => Assert.Equal("stopped", (string?)r!["result"]));
            var phases = JsonNode.Parse((await portal.ExpectAsync(0, "vm", "list", "-l", $"env={env}", "-o", "json")).Out)!.AsArray();
            Assert.All(phases, v => Assert.Equal("stopped", (string?)v!["status"]!["phase"]));

            // Without --wait one request acts on every VM the selector matches; the portal reports per VM.
            var started = await portal.ExpectAsync(0, "vm", "start", "-l", $"env={env}");
            Assert.Equal(names.Select(n => $"{n} requested -"), started.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..]
                .Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).Order(StringComparer.Ordinal));

            var deleted = await portal.ExpectAsync(0, "vm", "delete", "-l", $"env={env}", "--yes", "--wait", "--timeout", "60s");
            Assert.All(names, n => Assert.Contains(n, deleted.Out, StringComparison.Ordinal));
            Assert.Equal("", (await portal.ExpectAsync(0, "vm", "list", "-l", $"env={env}", "-o", "name")).Out.Trim());
        }
        finally
        {
            await portal.RunAsync("vm", "delete", "-l", $"env={env}", "--yes");
        }
    }

    [Fact]
    public async Task ExitCodes_UsageNotFoundConflict_FromRealCases()
    {
        var usage = await portal.ExpectAsync(2, "vm", "list", "--frobnicate");
        Assert.Contains("--frobnicate", usage.Err, StringComparison.Ordinal);
        await portal.ExpectAsync(2, "vm", "list", "-o", "xml");

        var missing = await portal.ExpectAsync(3, "vm", "get", "no-such-vm");
        Assert.Contains("no VM named 'no-such-vm'", missing.Err, StringComparison.Ordinal);
        await portal.ExpectAsync(3, "vm", "get", Guid.NewGuid().ToString());

        var name = ApiClient.UniqueName("stopped");
        await portal.ExpectAsync(0, Create(name, "--stopped", "--wait", "--timeout", "60s"));
        try
        {
            // The portal refuses to reboot a VM that is meant to be stopped (409).
            var conflict = await portal.ExpectAsync(4, "vm", "reboot", name);
            Assert.Contains("start it instead of rebooting", conflict.Out + conflict.Err, StringComparison.Ordinal);

            // Nothing deleted without --yes when no one can answer the prompt.
            var refused = await portal.ExpectAsync(1, "vm", "delete", name);
            Assert.Contains("Nothing deleted", refused.Err, StringComparison.Ordinal);
            await portal.ExpectAsync(0, "vm", "get", name);
        }
        finally
        {
            await portal.RunAsync("vm", "delete", name, "--yes");
        }
    }

    [Fact]
    public async Task BadCreate_PrintsTheApiSentence_AndTheFieldName()
    {
        var name = ApiClient.UniqueName("toobig");

        var run = await portal.ExpectAsync(2, Create(name, "--memory", "4096"));

        // The API's title, then each refused field with its sentence, once.
        var lines = run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("Error: ", lines[0], StringComparison.Ordinal);
        var field = Assert.Single(lines, l => l.Contains("spec.memoryMiB", StringComparison.Ordinal));
        Assert.Contains("allows 256 to 2048 MiB, not 4096", field, StringComparison.Ordinal);
        await portal.ExpectAsync(3, "vm", "get", name);
    }

    [Fact]
    public async Task DryRun_PrintsTheExactRequest_WithTheTokenMasked_AndSendsNothing()
    {
        var name = ApiClient.UniqueName("dry");
        var imageId = await portal.App.IdOfAsync("images", "kraut-test-guest");

        var create = await portal.ExpectAsync(0, Create(name, "--dry-run"));

        var lines = create.Out.Split('\n');
        Assert.Equal($"POST {new Uri(portal.BaseAddress, "/api/v1/vms")}", lines[0]);
        Assert.Contains("Authorization: Bearer ***", lines);
        Assert.Contains("Content-Type: application/json", lines);
        var body = JsonNode.Parse(create.Out[create.Out.IndexOf('{', StringComparison.Ordinal)..])!;
        Assert.Equal(name, (string?)body["name"]);
        Assert.Equal(imageId.ToString(), (string?)body["spec"]!["imageId"]);
        Assert.DoesNotContain(TestCredentials.GodToken, create.Out + create.Err, StringComparison.Ordinal);
        await portal.ExpectAsync(3, "vm", "get", name);

        var patch = await portal.ExpectAsync(0, "machine-type", "patch", "small", "--set", "metadata.tier=gold", "--dry-run");
        var smallId = await portal.App.IdOfAsync("machine-types", "small");
        Assert.StartsWith($"PATCH {new Uri(portal.BaseAddress, $"/api/v1/machine-types/{smallId}")}\n", patch.Out, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/merge-patch+json", patch.Out, StringComparison.Ordinal);
        Assert.Null(JsonNode.Parse((await portal.ExpectAsync(0, "machine-type", "get", "small", "-o", "json")).Out)!["metadata"]!["tier"]);
    }

    [Fact]
    public async Task HistoryDiffRevert_OfANetwork()
    {
        var name = ApiClient.UniqueName("net");
        var file = Path.Combine(portal.ConfigHome, $"{name}.json");
        await File.WriteAllTextAsync(file, new JsonObject { ["name"] = name, ["spec"] = new JsonObject { ["ipv4Cidr"] = "10.231.7.0/24" } }.ToJsonString());
        try
        {
            await portal.ExpectAsync(0, "network", "create", "-f", file);
            await portal.ExpectAsync(0, "network", "patch", name, "--set", "metadata.owner=ops");

            var history = JsonNode.Parse((await portal.ExpectAsync(0, "history", "network", name, "-o", "json")).Out)!.AsArray();
            Assert.Equal([2L, 1L], history.Select(h => (long)h!["version"]!));
            var table = await portal.ExpectAsync(0, "history", "networks", name);
            Assert.StartsWith("VERSION", table.Out, StringComparison.Ordinal);

            var diff = await portal.ExpectAsync(0, "diff", "network", name, "1", "2");
            Assert.Contains("metadata.owner", diff.Out, StringComparison.Ordinal);
            Assert.Contains("ops", diff.Out, StringComparison.Ordinal);

            var reverted = await portal.ExpectAsync(0, "revert", "network", name, "1");
            Assert.Contains("now version 3", reverted.Out, StringComparison.Ordinal);
            var current = JsonNode.Parse((await portal.ExpectAsync(0, "network", "get", name, "-o", "json")).Out)!;
            Assert.Null(current["metadata"]!["owner"]);

            await portal.ExpectAsync(2, "history", "gadget", name);
        }
        finally
        {
            File.Delete(file);
            await portal.RunAsync("network", "delete", name, "--yes", "--wait");
        }
    }
}
