using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Quotas;

/// <summary>Who may read and set quotas, and that /quotas/mine tells each person what is true.</summary>
public sealed class QuotaApiTests(QuotaPortal portal) : IClassFixture<QuotaPortal>
{
    [Theory]
    [InlineData("GET", "/api/v1/quotas")]
    [InlineData("GET", "/api/v1/quotas/users/alice")]
    [InlineData("PUT", "/api/v1/quotas/users/alice")]
    [InlineData("PUT", "/api/v1/quotas/defaults/users")]
    [InlineData("DELETE", "/api/v1/quotas/users/alice")]
    [InlineData("GET", "/api/v1/quotas/users/alice/history")]
    public async Task AUser_CannotReadOrChangeQuotas_Only403(string method, string path)
    {
        await portal.SetQuotaAsync("users/alice", new JsonObject { ["vms"] = 5 });
        try
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method == "PUT") request.Content = ApiClient.Json(new JsonObject { ["limits"] = new JsonObject { ["vms"] = 500 } });
            using var response = await portal.As("alice").SendAsync(request);
            await ApiClient.AssertProblemAsync(response, HttpStatusCode.Forbidden, "Only administrators manage quotas");
            using var anonymous = portal.App.CreateAnonymousClient();
            using var again = new HttpRequestMessage(new HttpMethod(method), path);
            using var unauthenticated = await anonymous.SendAsync(again);
            Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
            var stored = await portal.Api.GetAsync("/api/v1/quotas/users/alice");
            Assert.Equal(5, (long)stored["limits"]!["vms"]!);
            Assert.Equal(1, (long)stored["version"]!);
        }
        finally
        {
            await portal.RemoveQuotaAsync("users/alice");
        }
    }

    [Fact]
    public async Task AnAdministrator_SetsChangesAndRemovesAQuota_WithHistory_AndBadLimitsAreRefusedAtTheField()
    {
        using var negative = await portal.As("carol").PutAsync("/api/v1/quotas/groups/team-x",
            ApiClient.Json(new JsonObject { ["limits"] = new JsonObject { ["vcpus"] = -1 } }));
        var problem = await ApiClient.AssertProblemAsync(negative, HttpStatusCode.UnprocessableEntity, "limits.vcpus");
        Assert.NotNull(problem["errors"]!["limits.vcpus"]);
        using var badType = await portal.As("carol").PutAsync("/api/v1/quotas/planets/mars", ApiClient.Json(new JsonObject { ["limits"] = new JsonObject() }));
        Assert.Equal(HttpStatusCode.BadRequest, badType.StatusCode);

        await portal.SetQuotaAsync("groups/team-x", new JsonObject { ["vms"] = 3 });
        await portal.SetQuotaAsync("groups/team-x", new JsonObject { ["vms"] = 4, ["imageBytes"] = 10L << 30 });
        try
        {
            var history = JsonNode.Parse(await portal.As("carol").GetStringAsync("/api/v1/quotas/groups/team-x/history"))!.AsArray();
            Assert.Equal(["limits changed", "created"], history.Select(h => (string)h!["change"]!));
            var list = JsonNode.Parse(await portal.As("carol").GetStringAsync("/api/v1/quotas"))!.AsArray();
            var teamX = Assert.Single(list, q => (string?)q!["name"] == "team-x" && (string?)q!["type"] == "groups");
            Assert.Equal(4, (long)teamX!["limits"]!["vms"]!);
        }
        finally
        {
            using var removed = await portal.As("carol").DeleteAsync("/api/v1/quotas/groups/team-x");
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }
        using var gone = await portal.Api.Http.GetAsync("/api/v1/quotas/groups/team-x");
        await ApiClient.AssertProblemAsync(gone, HttpStatusCode.NotFound, "No quota is set for groups/team-x");
    }

    [Fact]
    public async Task Mine_ShowsTheCallersLimitsAndUse_ForThemselvesAndEachGroup_EqualToWhatTheyHave()
    {
        await portal.SetQuotaAsync("defaults/groups", new JsonObject { ["vms"] = 9 });
        await portal.SetQuotaAsync("users/gina", new JsonObject { ["vms"] = 10, ["vcpus"] = 16 });
        try
        {
            var image = await portal.Api.GetAsync($"/api/v1/images/{(await portal.Api.SeededAsync()).ImageId}");
            var imageBytes = (long)image["status"]!["virtualSizeBytes"]!;
            foreach (var (type, vcpus, disk) in new[] { ("small", 2, 0), ("medium", 3, 5), ("small", 1, 0) })
            {
                var body = await portal.VmBodyAsync(ApiClient.UniqueName("mine"), type, vcpus: vcpus);
                if (disk > 0) body["spec"]!["diskGiB"] = disk;
                using var created = await portal.CreateVmAsync("gina", body);
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }
            var gina = Assert.Single(await portal.MineAsync("gina"))!;
            Assert.Equal("gina", (string?)gina["owner"]);
            Assert.Equal(10, (long)gina["limits"]!["vms"]!);
            Assert.Equal(16, (long)gina["limits"]!["vcpus"]!);
            Assert.Equal(3, (long)gina["used"]!["vms"]!);
            Assert.Equal(6, (long)gina["used"]!["vcpus"]!);
            Assert.Equal((512L + 2048 + 512) << 20, (long)gina["used"]!["memoryBytes"]!);
            Assert.Equal(2 * imageBytes + (5L << 30), (long)gina["used"]!["diskBytes"]!);

            // alice: herself and team-x, whose limit is the group default.
            var alice = await portal.MineAsync("alice");
            Assert.Equal(["alice", "team-x"], alice.Select(s => (string)s!["owner"]!));
            Assert.Equal(9, (long)alice[1]!["limits"]!["vms"]!);
            Assert.Null(alice[0]!["limits"]!["vms"]);
        }
        finally
        {
            await portal.RemoveQuotaAsync("users/gina");
            await portal.RemoveQuotaAsync("defaults/groups");
        }
    }
}
