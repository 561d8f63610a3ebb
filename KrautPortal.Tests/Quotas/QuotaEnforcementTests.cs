using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features.Networks.Ipam;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Quotas;

/// <summary>Quotas hold inside the write's transaction: under parallel creates, for vCPUs and memory, for groups, by default and by override.</summary>
public sealed class QuotaEnforcementTests(QuotaPortal portal) : IClassFixture<QuotaPortal>
{
    [Fact]
    public async Task FiftyParallelCreates_AgainstAQuotaOfSevenVms_SevenSucceed_TheRestAreRefusedNamingTheQuota_AndLeaveNothing()
    {
        await portal.SetQuotaAsync("users/alice", new JsonObject { ["vms"] = 7 });
        try
        {
            var network = (await portal.Api.SeededAsync()).DefaultNetworkId;
            var run = ApiClient.UniqueName("par");
            var bodies = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => portal.VmBodyAsync($"{run}-{i}", network: network)));
            var responses = await Task.WhenAll(bodies.Select(b => portal.CreateVmAsync("alice", b)));
            try
            {
                var created = responses.Where(r => r.StatusCode == HttpStatusCode.Created).ToList();
                var refused = responses.Where(r => r.StatusCode == HttpStatusCode.Conflict).ToList();
                Assert.True(created.Count == 7, $"{created.Count} created; statuses: {string.Join(", ", responses.Select(r => (int)r.StatusCode))}");
                Assert.Equal(43, refused.Count);
                foreach (var r in refused)
                {
                    var problem = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
                    Assert.Equal("VM quota of alice exceeded: 7 of 7 in use, this VM needs 1 (1 over).", (string?)problem["detail"]);
                    Assert.Equal("https://kraut.example/problems/quota-exceeded", (string?)problem["type"]);
                    Assert.Equal("vms", (string?)problem["quota"]);
                }
            }
            finally
            {
                foreach (var r in responses) r.Dispose();
            }

            // Nothing of the refused ones: no rows, no history, no addresses or MACs.
            await using var scope = portal.App.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
            var vmIds = await db.Resources.Where(r => r.Kind == "vms" && r.Name.StartsWith(run)).Select(r => r.Id).ToListAsync();
            Assert.Equal(7, vmIds.Count);
            Assert.Equal(7, await db.History.Where(h => h.Kind == "vms" && h.Change == "created" && h.Snapshot.Contains(run)).CountAsync());
            var allIds = await db.Resources.Where(r => r.Kind == "vms").Select(r => r.Id).ToListAsync();
            Assert.Equal(0, await db.IpAllocations.CountAsync(a => !allIds.Contains(a.VmId)));
            Assert.Equal(0, await db.MacAllocations.CountAsync(a => !allIds.Contains(a.VmId)));
            Assert.Equal(7, await db.MacAllocations.Where(a => vmIds.Contains(a.VmId)).Select(a => a.VmId).Distinct().CountAsync());
        }
        finally
        {
            await portal.RemoveQuotaAsync("users/alice");
        }
    }

    [Fact]
    public async Task VcpuAndMemoryQuotas_CountWhatTheMachineTypeGives_AndSayByHowMuch()
    {
        await portal.SetQuotaAsync("users/dave", new JsonObject { ["vcpus"] = 3 });
        await portal.SetQuotaAsync("users/erin", new JsonObject { ["memoryBytes"] = 3L << 30 });
        try
        {
            // medium: 2 vCPUs and 2 GiB by default.
            await AssertCreatedAsync("dave", await portal.VmBodyAsync(ApiClient.UniqueName("cpu"), "medium"));
            await AssertRefusedAsync("dave", await portal.VmBodyAsync(ApiClient.UniqueName("cpu"), "medium"),
                "vCPU quota of dave exceeded: 2 of 3 in use, this VM needs 2 (1 over).");
            await AssertCreatedAsync("dave", await portal.VmBodyAsync(ApiClient.UniqueName("cpu"), "small"));

            await AssertCreatedAsync("erin", await portal.VmBodyAsync(ApiClient.UniqueName("mem"), "medium"));
            await AssertRefusedAsync("erin", await portal.VmBodyAsync(ApiClient.UniqueName("mem"), "medium"),
                "memory quota of erin exceeded: 2 GiB of 3 GiB in use, this VM needs 2 GiB (1 GiB over).");
        }
        finally
        {
            await portal.RemoveQuotaAsync("users/dave");
            await portal.RemoveQuotaAsync("users/erin");
        }
    }

    [Fact]
    public async Task AGroupQuota_CountsTheGroupsObjects_NotItsMembersOwn()
    {
        await portal.SetQuotaAsync("groups/team-x", new JsonObject { ["vms"] = 1 });
        try
        {
            await AssertCreatedAsync("alice", await portal.VmBodyAsync(ApiClient.UniqueName("grp"), owner: QuotaPortal.Group));
            await AssertRefusedAsync("bob", await portal.VmBodyAsync(ApiClient.UniqueName("grp"), owner: QuotaPortal.Group),
                "VM quota of team-x exceeded: 1 of 1 in use, this VM needs 1 (1 over).");
            await AssertCreatedAsync("bob", await portal.VmBodyAsync(ApiClient.UniqueName("own")));
        }
        finally
        {
            await portal.RemoveQuotaAsync("groups/team-x");
        }
    }

    [Fact]
    public async Task TheUserDefault_Applies_AndAUsersOwnQuotaOverridesItLimitByLimit()
    {
        await portal.SetQuotaAsync("defaults/users", new JsonObject { ["vms"] = 1, ["vcpus"] = 100 });
        try
        {
            await AssertCreatedAsync("frank", await portal.VmBodyAsync(ApiClient.UniqueName("def")));
            await AssertRefusedAsync("frank", await portal.VmBodyAsync(ApiClient.UniqueName("def")),
                "VM quota of frank exceeded: 1 of 1 in use, this VM needs 1 (1 over).");

            await portal.SetQuotaAsync("users/frank", new JsonObject { ["vms"] = 2 });
            await AssertCreatedAsync("frank", await portal.VmBodyAsync(ApiClient.UniqueName("def")));
            var mine = Assert.Single(await portal.MineAsync("frank"));
            Assert.Equal(2, (long)mine!["limits"]!["vms"]!);
            Assert.Equal(100, (long)mine["limits"]!["vcpus"]!);
            Assert.Null(mine["limits"]!["memoryBytes"]);
        }
        finally
        {
            await portal.RemoveQuotaAsync("users/frank");
            await portal.RemoveQuotaAsync("defaults/users");
        }
    }

    [Fact]
    public async Task AnAdministrator_IsNotBoundByQuotas()
    {
        await portal.SetQuotaAsync("users/carol", new JsonObject { ["vms"] = 0 });
        try
        {
            await AssertCreatedAsync("carol", await portal.VmBodyAsync(ApiClient.UniqueName("adm")));
        }
        finally
        {
            await portal.RemoveQuotaAsync("users/carol");
        }
    }

    [Fact]
    public async Task AMachineTypeChange_ThatWouldExceedTheVcpuQuota_IsRefused_AndOneWithinItIsNot()
    {
        await portal.SetQuotaAsync("users/hank", new JsonObject { ["vcpus"] = 3 });
        try
        {
            var vm = await AssertCreatedAsync("hank", await portal.VmBodyAsync(ApiClient.UniqueName("mt")));
            var medium = await portal.App.IdOfAsync("machine-types", "medium");
            using var tooBig = await Patch("hank", vm, new JsonObject { ["spec"] = new JsonObject { ["machineTypeId"] = medium, ["vcpus"] = 4, ["memoryMiB"] = 1024 } });
            await ApiClient.AssertProblemAsync(tooBig, HttpStatusCode.Conflict, "vCPU quota of hank exceeded: 1 of 3 in use, this change needs 3 (1 over).");
            using var fits = await Patch("hank", vm, new JsonObject { ["spec"] = new JsonObject { ["machineTypeId"] = medium, ["vcpus"] = 3, ["memoryMiB"] = 1024 } });
            Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        }
        finally
        {
            await portal.RemoveQuotaAsync("users/hank");
        }
    }

    private Task<HttpResponseMessage> Patch(string user, Guid vm, JsonObject patch)
    {
        var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/vms/{vm}") { Content = ApiClient.Json(patch, "application/merge-patch+json") };
        return portal.As(user).SendAsync(request);
    }

    private async Task<Guid> AssertCreatedAsync(string user, JsonObject body)
    {
        using var response = await portal.CreateVmAsync(user, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{user}: {(int)response.StatusCode} {text}");
        return (Guid)JsonNode.Parse(text)!["id"]!;
    }

    private async Task AssertRefusedAsync(string user, JsonObject body, string detail)
    {
        using var response = await portal.CreateVmAsync(user, body);
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Conflict, detail);
    }
}
