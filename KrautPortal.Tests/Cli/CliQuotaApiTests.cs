using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Cli;

/// <summary><c>kraut quota …</c> and <c>kraut api …</c> (any route: here the audit log and a quota) against the real portal.</summary>
[Collection(CliCollection.Name)]
public sealed class CliQuotaApiTests(CliPortal portal)
{
    [Fact]
    public async Task Quota_SetListMineRemove_AndBadInputIsUsage_AndAMissingOneIsNotFound()
    {
        var user = ApiClient.UniqueName("q");
        try
        {
            var set = await portal.ExpectAsync(0, "quota", "set", "users", user, "vms=3", "vcpus=8");
            Assert.Contains("vms=3 vcpus=8", set.Out, StringComparison.Ordinal);
            var listed = JsonNode.Parse((await portal.ExpectAsync(0, "quota", "list", "-o", "json")).Out)!.AsArray();
            var quota = Assert.Single(listed, q => (string?)q!["name"] == user)!;
            Assert.Equal(3, (long)quota["limits"]!["vms"]!);
            Assert.Null(quota["limits"]!["memoryBytes"]);
            Assert.IsType<JsonArray>(JsonNode.Parse((await portal.ExpectAsync(0, "quota", "mine", "-o", "json")).Out));

            var notANumber = await portal.ExpectAsync(2, "quota", "set", "users", user, "vms=lots");
            Assert.Contains("vms=lots: write measure=number", notANumber.Err, StringComparison.Ordinal);
            var noSuchType = await portal.ExpectAsync(2, "quota", "set", "planets", user, "vms=1");
            Assert.Contains("'planets' is no kind of quota", noSuchType.Err, StringComparison.Ordinal);

            await portal.ExpectAsync(0, "quota", "remove", "users", user);
            await portal.ExpectAsync(3, "quota", "remove", "users", user);
        }
        finally
        {
            await portal.RunAsync("quota", "remove", "users", user);
        }
    }

    [Fact]
    public async Task Api_CallsAnyRoute_PrintsItsJson_HonoursDryRun_AndRefusesAPathOutsideTheApi()
    {
        var user = ApiClient.UniqueName("api");
        try
        {
            var put = JsonNode.Parse((await portal.ExpectAsync(0, "api", "PUT", $"/api/v1/quotas/users/{user}", "-d", "{\"limits\":{\"vms\":2}}")).Out)!;
            Assert.Equal(2, (long)put["limits"]!["vms"]!);

            // The audit log has no command of its own: the quota just set is in it.
            var audit = JsonNode.Parse((await portal.ExpectAsync(0, "api", "get", "/api/v1/audit?limit=50")).Out)!;
            Assert.Contains(audit["items"]!.AsArray(), e => ((string?)e!["path"])?.Contains(user, StringComparison.Ordinal) == true);

            var dry = await portal.ExpectAsync(0, "api", "DELETE", $"/api/v1/quotas/users/{user}", "--dry-run");
            Assert.Contains($"DELETE ", dry.Out + dry.Err, StringComparison.Ordinal);
            await portal.ExpectAsync(0, "api", "GET", $"/api/v1/quotas/users/{user}");

            var outside = await portal.ExpectAsync(2, "api", "GET", "/etc/passwd");
            Assert.Contains("starting with /api/", outside.Err, StringComparison.Ordinal);
            await portal.ExpectAsync(2, "api", "PUT", $"/api/v1/quotas/users/{user}", "-d", "{not json");
            await portal.ExpectAsync(3, "api", "GET", $"/api/v1/quotas/users/{user}-none");
        }
        finally
        {
            await portal.RunAsync("quota", "remove", "users", user);
        }
    }
}
