using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Quotas;

/// <summary>Network and image quotas, and administrators held to quotas when configured so.</summary>
public sealed class QuotaKindsTests(QuotaPortal portal) : IClassFixture<QuotaPortal>
{
    [Fact]
    public async Task ANetworkQuota_OfAGroup_IsHeld()
    {
        await EnsurePoolAsync();
        await portal.SetQuotaAsync("groups/team-x", new JsonObject { ["networks"] = 1 });
        try
        {
            using var first = await CreateNetworkAsync("alice");
            Assert.True(first.StatusCode == HttpStatusCode.Created, await first.Content.ReadAsStringAsync());
            using var second = await CreateNetworkAsync("bob");
            await ApiClient.AssertProblemAsync(second, HttpStatusCode.Conflict, "network quota of team-x exceeded: 1 of 1 in use, this network needs 1 (1 over).");
        }
        finally
        {
            await portal.RemoveQuotaAsync("groups/team-x");
        }
    }

    /// <summary>Networks keep no rows beside them, so only the gate puts their creates in a transaction: this is what holds them.</summary>
    [Fact]
    public async Task ParallelNetworkCreates_AgainstAQuotaOfThree_MakeExactlyThree()
    {
        await EnsurePoolAsync();
        await portal.SetQuotaAsync("users/bob", new JsonObject { ["networks"] = 3 });
        try
        {
            var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => portal.As("bob").PostAsync("/api/v1/networks", ApiClient.Json(new JsonObject
            {
                ["name"] = ApiClient.UniqueName("pnet"), ["spec"] = new JsonObject { ["ipv4Cidr"] = ApiClient.NextSubnet() },
            }))));
            try
            {
                Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.Created) == 3, string.Join(", ", responses.Select(r => (int)r.StatusCode)));
                Assert.Equal(17, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
            }
            finally
            {
                foreach (var r in responses) r.Dispose();
            }
            var mine = await portal.MineAsync("bob");
            Assert.Equal(3, (long)mine.Single(s => (string?)s!["owner"] == "bob")!["used"]!["networks"]!);
        }
        finally
        {
            await portal.RemoveQuotaAsync("users/bob");
        }
    }

    [Fact]
    public async Task AnImageQuota_ThatIsFull_RefusesANewImage()
    {
        await portal.SetQuotaAsync("users/frank", new JsonObject { ["imageBytes"] = 0 });
        try
        {
            using var refused = await portal.As("frank").PostAsync("/api/v1/images", ApiClient.Json(new JsonObject
            {
                ["name"] = ApiClient.UniqueName("img"), ["spec"] = new JsonObject { ["architecture"] = "x86_64" },
            }));
            await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Conflict, "image storage quota of frank exceeded: 0 GiB of 0 GiB in use, this image needs room for more.");
        }
        finally
        {
            await portal.RemoveQuotaAsync("users/frank");
        }
    }

    [Fact]
    public async Task AnUploadLargerThanTheImageQuotaLeaves_FailsTheImageNamingTheQuota_AndStoresNothing()
    {
        await portal.SetQuotaAsync("users/hank", new JsonObject { ["imageBytes"] = 1L << 20 });
        try
        {
            using var created = await portal.As("hank").PostAsync("/api/v1/images", ApiClient.Json(new JsonObject
            {
                ["name"] = ApiClient.UniqueName("big"), ["spec"] = new JsonObject { ["architecture"] = "x86_64" },
            }));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var id = (Guid)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!;
            using (var put = await portal.As("hank").PutAsync($"/api/v1/images/{id}/content", new ByteArrayContent(new byte[2 << 20])))
                Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);

            var status = await Eventually.WaitForAsync(async () =>
                (await portal.Api.GetAsync($"/api/v1/images/{id}"))["status"] is { } s && (string?)s["phase"] is "failed" or "ready" ? s : null,
                TimeSpan.FromSeconds(30), "the image to be refused");
            Assert.Equal("failed", (string?)status["phase"]);
            Assert.Equal("image storage quota of hank exceeded: 0 GiB of 1 MiB in use, this image needs 2 MiB (1 MiB over).", (string?)status["message"]);
            Assert.Null(status["actualSizeBytes"]);
        }
        finally
        {
            await portal.RemoveQuotaAsync("users/hank");
        }
    }

    private static readonly SemaphoreSlim PoolLock = new(1, 1);
    private bool _pool;

    /// <summary>An address pool everyone may take the tests' subnets from (bob's networks are his own, not team-x's).</summary>
    private async Task EnsurePoolAsync()
    {
        await PoolLock.WaitAsync();
        try
        {
            if (_pool || (await portal.Api.GetAsync("/api/v1/address-pools?limit=500"))["items"]!.AsArray().Any(p => (string?)p!["name"] == "quota-tests")) return;
            using var pool = await portal.Api.PostAsync("/api/v1/address-pools", new JsonObject
            {
                ["name"] = "quota-tests", ["owner"] = "shared",
                ["spec"] = new JsonObject { ["ipv4"] = new JsonArray("10.128.0.0/9"), ["ipv6"] = new JsonArray("fd4b:7e57::/32") },
            });
            Assert.Equal(HttpStatusCode.Created, pool.StatusCode);
            _pool = true;
        }
        finally
        {
            PoolLock.Release();
        }
    }

    private Task<HttpResponseMessage> CreateNetworkAsync(string user) =>
        portal.As(user).PostAsync("/api/v1/networks", ApiClient.Json(new JsonObject
        {
            ["name"] = ApiClient.UniqueName("net"), ["owner"] = QuotaPortal.Group, ["spec"] = new JsonObject { ["ipv4Cidr"] = ApiClient.NextSubnet() },
        }));
}

/// <summary>A portal where <c>Quotas:AdminsBound</c> is on.</summary>
public sealed class AdminsBoundPortal() : QuotaPortal(new Dictionary<string, string?> { ["Quotas:AdminsBound"] = "true" });

public sealed class AdminsBoundTests(AdminsBoundPortal portal) : IClassFixture<AdminsBoundPortal>
{
    [Fact]
    public async Task WithAdminsBound_AnAdministratorsOwnQuotaIsHeld()
    {
        await portal.SetQuotaAsync("users/carol", new JsonObject { ["vms"] = 0 });
        using var refused = await portal.CreateVmAsync("carol", await portal.VmBodyAsync(ApiClient.UniqueName("adm")));
        await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Conflict, "VM quota of carol exceeded: 0 of 0 in use");
    }
}
