using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Cli;

/// <summary><c>kraut token create|list|delete</c>: the secret is printed by create, once, and works; nothing prints it again.</summary>
[Collection(CliCollection.Name)]
public sealed class CliTokenTests(CliPortal portal)
{
    [Fact]
    public async Task TokenCreate_PrintsTheSecretOnce_ItWorks_AndListAndGetNeverShowIt()
    {
        var name = ApiClient.UniqueName("tok");
        try
        {
            var created = await portal.ExpectAsync(0, "token", "create", name, "--verbs", "read", "--kinds", "machine-types", "--expires", "1d");
            var secretLine = Assert.Single(created.Out.Split('\n'), l => l.StartsWith("Secret (shown this once", StringComparison.Ordinal));
            var secret = secretLine[(secretLine.LastIndexOf(' ') + 1)..].Trim();
            Assert.True(secret.Length >= 20, created.ToString());
            Assert.Contains(name, created.Out, StringComparison.Ordinal);

            // The secret is a working token with exactly its scope.
            var asToken = new Dictionary<string, string> { ["KRAUT_TOKEN"] = secret };
            Assert.Equal(0, (await portal.RunAsync(["machine-type", "list"], asToken)).ExitCode);
            Assert.NotEqual(0, (await portal.RunAsync(["vm", "list"], asToken)).ExitCode);

            foreach (var args in new[] { new[] { "token", "list" }, ["token", "list", "-o", "json"], ["token", "get", name, "-o", "yaml"], ["history", "token", name, "-o", "json"] })
            {
                var run = await portal.ExpectAsync(0, args);
                Assert.DoesNotContain(secret, run.Out + run.Err, StringComparison.Ordinal);
            }
            var listed = JsonNode.Parse((await portal.ExpectAsync(0, "token", "list", "-o", "json")).Out)!.AsArray();
            var token = Assert.Single(listed, t => (string?)t!["name"] == name)!;
            Assert.Equal(["read"], token["spec"]!["verbs"]!.AsArray().Select(v => (string?)v));

            var bad = await portal.ExpectAsync(2, "token", "create", name + "-x", "--verbs", "read", "--kinds", "vms", "--expires", "soon");
            Assert.Contains("--expires soon", bad.Err, StringComparison.Ordinal);
            var refused = await portal.ExpectAsync(2, "token", "create", name + "-y", "--verbs", "fly", "--kinds", "vms");
            Assert.StartsWith("Error: ", refused.Err, StringComparison.Ordinal);

            await portal.ExpectAsync(0, "token", "delete", name, "--yes");
            await portal.ExpectAsync(3, "token", "get", name);
        }
        finally
        {
            await portal.RunAsync("token", "delete", name, "--yes");
        }
    }
}
