using System.Net;
using KrautPortal.Features.Usage;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Authorization;

namespace KrautPortal.Tests.Usage;

/// <summary>The usage API on libvirt's test driver (its domains report states only): who sees which usage, and bad input.</summary>
[Collection(AuthorizationCollection.Name)]
public sealed class UsageApiTests(AuthorizationPortal portal)
{
    /// <summary>A VM without NICs made by <paramref name="caller"/>: usage needs no network.</summary>
    private async Task<Guid> VmOfAsync(Caller caller, string name)
    {
        using var created = await portal.Client(caller).PostAsync("/api/v1/vms", ApiClient.Json(await portal.Api.SampleAsync("vms", ApiClient.UniqueName(name))));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (Guid)(await ApiClient.ReadAsync(created))["id"]!;
    }

    private async Task<(Guid Alices, Guid Bobs)> TwoSampledVmsAsync()
    {
        var alices = await VmOfAsync(Caller.Alice, "usage-a");
        var bobs = await VmOfAsync(Caller.Bob, "usage-b");
        await portal.Api.WaitForPhaseAsync(alices, "running");
        await portal.Api.WaitForPhaseAsync(bobs, "running");
        await portal.App.Service<UsageSampler>().SampleOnceAsync(CancellationToken.None);
        return (alices, bobs);
    }

    [Fact]
    public async Task VmUsage_IsTheOwnersToRead_AnotherTenantGets404_AndTheSamplerKnowsBothVms()
    {
        var (alices, bobs) = await TwoSampledVmsAsync();

        var usage = await ApiClient.ReadAsync(await portal.Client(Caller.Alice).GetAsync($"/api/v1/vms/{alices}/usage?range=1h"));
        Assert.Equal("1h", (string)usage["range"]!);
        Assert.NotEmpty(usage["points"]!.AsArray());
        using (var bobsByAlice = await portal.Client(Caller.Alice).GetAsync($"/api/v1/vms/{bobs}/usage"))
            await ApiClient.AssertProblemAsync(bobsByAlice, HttpStatusCode.NotFound);
        using (var hourly = await portal.Client(Caller.Carol).GetAsync($"/api/v1/vms/{bobs}/usage?range=30d"))
            Assert.Equal(HttpStatusCode.OK, hourly.StatusCode);

        var latest = portal.App.Service<IUsageReader>().Latest.SelectMany(h => h.Vms.Values).ToList();
        Assert.Contains(latest, v => v.VmId == alices && v.Owner == "alice");
        Assert.Contains(latest, v => v.VmId == bobs && v.Owner == "bob");
    }

    [Fact]
    public async Task Showback_ShowsAUserTheirOwnAndTheirGroupsOwners_AndAnAdministratorEveryone_AsJsonOrCsv()
    {
        await TwoSampledVmsAsync();
        await portal.App.Service<UsageSampler>().SampleOnceAsync(CancellationToken.None);

        async Task<List<string>> OwnersAsync(Caller caller)
        {
            var body = await ApiClient.ReadAsync(await portal.Client(caller).GetAsync("/api/v1/usage/showback"));
            return body["owners"]!.AsArray().Select(o => (string)o!["owner"]!).ToList();
        }

        // Other tests of this portal may have run team-x's VMs: alice and bob are in team-x, carol is not.
        var alices = await OwnersAsync(Caller.Alice);
        Assert.Contains("alice", alices);
        Assert.Subset(new HashSet<string> { "alice", AuthorizationPortal.Group }, alices.ToHashSet());
        var bobs = await OwnersAsync(Caller.Bob);
        Assert.Contains("bob", bobs);
        Assert.Subset(new HashSet<string> { "bob", AuthorizationPortal.Group }, bobs.ToHashSet());
        Assert.Superset(new HashSet<string> { "alice", "bob" }, (await OwnersAsync(Caller.Carol)).ToHashSet());

        using var csv = await portal.Client(Caller.Bob).GetAsync("/api/v1/usage/showback?format=csv&from=2000-01-01T00:00:00Z");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("owner,vms,vmHours,vcpuHours,memoryGiBHours,diskGiBHours", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("bob,", StringComparison.Ordinal));
        Assert.All(lines.Skip(1), l => Assert.True(l.StartsWith("bob,", StringComparison.Ordinal) || l.StartsWith(AuthorizationPortal.Group + ",", StringComparison.Ordinal), l));
    }

    [Fact]
    public async Task InstallationUsage_IsForAdministratorsOnly()
    {
        using (var byAlice = await portal.Client(Caller.Alice).GetAsync("/api/v1/usage/installation"))
            await ApiClient.AssertProblemAsync(byAlice, HttpStatusCode.Forbidden, "Only administrators");
        var body = await ApiClient.ReadAsync(await portal.Client(Caller.Carol).GetAsync("/api/v1/usage/installation?range=1w"));
        Assert.Equal("1w", (string)body["range"]!);
    }

    [Theory]
    [InlineData("/api/v1/vms/{vm}/usage?range=2h", "range must be one of 1h, 1d, 1w, 30d")]
    [InlineData("/api/v1/usage/installation?range=1h", "range must be one of 1d, 1w")]
    [InlineData("/api/v1/usage/showback?format=xml", "format must be json or csv")]
    [InlineData("/api/v1/usage/showback?from=yesterday", "from must be an ISO-8601 time")]
    [InlineData("/api/v1/usage/showback?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "from must be before to")]
    public async Task BadInput_IsAProblemNamingWhatIsAllowed(string url, string detail)
    {
        var vm = await VmOfAsync(Caller.Alice, "usage-bad");
        using var response = await portal.Client(Caller.Carol).GetAsync(url.Replace("{vm}", vm.ToString(), StringComparison.Ordinal));
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
    }
}
