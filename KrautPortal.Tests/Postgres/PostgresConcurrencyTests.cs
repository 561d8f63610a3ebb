using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features.Networks.Ipam;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Quotas;
using KrautPortal.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Postgres;

/// <summary>
/// The quota portal on a PostgreSQL database of its own, with 50 write transactions abreast (Database:WritersAbreast):
/// one process's writers then meet in the database's locks and keys, as several replicas' writers do.
/// </summary>
public sealed class PostgresQuotaPortal : QuotaPortal, IDisposable
{
    private readonly PostgresServer _database;

    public PostgresQuotaPortal()
        : this(PostgresServer.CreateDatabase())
    {
    }

    private PostgresQuotaPortal(PostgresServer database)
        : base(new Dictionary<string, string?>(database.PortalSettings) { ["Database:WritersAbreast"] = "50" })
    {
        _database = database;
    }

    public void Dispose()
    {
        App.Dispose();
        _database.Dispose();
    }
}

/// <summary>Concurrent creates on PostgreSQL: the quota is never exceeded, no address is handed out twice, a taken name is 409 as on SQLite.</summary>
public sealed class PostgresConcurrencyTests(PostgresQuotaPortal portal) : IClassFixture<PostgresQuotaPortal>
{
    [Fact]
    public async Task FiftyParallelCreatesWithANic_AgainstAQuotaOfTwenty_TwentySucceed_WithDistinctAddresses()
    {
        await portal.SetQuotaAsync("users/dave", new JsonObject { ["vms"] = 20 });
        try
        {
            var network = (await portal.Api.SeededAsync()).DefaultNetworkId;
            var run = ApiClient.UniqueName("pg");
            var bodies = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => portal.VmBodyAsync($"{run}-{i}", network: network)));
            var responses = await Task.WhenAll(bodies.Select(b => portal.CreateVmAsync("dave", b)));
            try
            {
                var statuses = string.Join(", ", responses.Select(r => (int)r.StatusCode));
                Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.Created) == 20, $"statuses: {statuses}");
                foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
                    await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Conflict, "VM quota of dave exceeded: 20 of 20 in use");
            }
            finally
            {
                foreach (var r in responses) r.Dispose();
            }

            await using var scope = portal.App.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
            var vmIds = await db.Resources.Where(r => r.Kind == "vms" && r.Name.StartsWith(run)).Select(r => r.Id).ToListAsync();
            Assert.Equal(20, vmIds.Count);
            var addresses = await db.IpAllocations.Where(a => a.NetworkId == network).Select(a => a.Address).ToListAsync();
            Assert.Equal(addresses.Count, addresses.Distinct().Count());
            Assert.Equal(20, await db.IpAllocations.CountAsync(a => vmIds.Contains(a.VmId)));
            var allIds = await db.Resources.Where(r => r.Kind == "vms").Select(r => r.Id).ToListAsync();
            Assert.Equal(0, await db.IpAllocations.CountAsync(a => !allIds.Contains(a.VmId)));
        }
        finally
        {
            await portal.RemoveQuotaAsync("users/dave");
        }
    }

    [Fact]
    public async Task ParallelNicAdds_OnOneNetwork_GetDistinctAddresses()
    {
        var api = portal.Api;
        var network = (Guid)(await api.CreateAsync("networks", await api.SampleAsync("networks", ApiClient.UniqueName("pgnet"))))["id"]!;
        var vms = new List<Guid>();
        for (var i = 0; i < 10; i++) vms.Add((Guid)(await api.CreateVmAsync(ApiClient.UniqueName("pgnic")))["id"]!);

        var responses = await Task.WhenAll(vms.SelectMany(vm => Enumerable.Range(0, 4).Select(_ =>
            api.PostAsync($"/api/v1/vms/{vm}/nics", new JsonObject { ["networkId"] = network }))));
        var addresses = new List<string>();
        foreach (var response in responses)
        {
            using (response)
            {
                var body = await ApiClient.ReadAsync(response);
                Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToJsonString());
                addresses.Add((string)body["ipv4Address"]!);
            }
        }
        Assert.Equal(40, addresses.Distinct().Count());
        await using var scope = portal.App.Services.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<KrautDbContext>().IpAllocations.Where(a => a.NetworkId == network).Select(a => a.Address).ToListAsync();
        Assert.Equal(addresses.Order(), stored.Order());
    }

    [Fact]
    public async Task ParallelCreatesWithOneName_OneSucceeds_TheRestGet409NamingTheName()
    {
        var name = ApiClient.UniqueName("same");
        var body = await portal.Api.SampleAsync("machine-types", name);
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => portal.Api.PostAsync("/api/v1/machine-types", body.DeepClone())));
        try
        {
            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
            foreach (var loser in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
                await ApiClient.AssertProblemAsync(loser, HttpStatusCode.Conflict, $"A machine type named '{name}' already exists");
        }
        finally
        {
            foreach (var r in responses) r.Dispose();
        }
    }
}
