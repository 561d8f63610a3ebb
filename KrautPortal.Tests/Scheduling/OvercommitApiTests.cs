using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Scheduling;

/// <summary>
/// Overcommit set at runtime on the two test-driver hosts of <see cref="SchedulingPortal"/> (configured: CPU 4, memory 1,
/// 512 MiB reserved; test:///default has 16 CPUs and 3 GiB, the small host 2 CPUs and 2 GiB): placement and capacity follow
/// it at once, a host's own value beats the installation's, and only administrators read or set it. Every test puts the
/// values back (a PUT of {} clears a level).
/// </summary>
public sealed class OvercommitApiTests(SpreadPortal portal) : IClassFixture<SpreadPortal>
{
    [Fact]
    public async Task LowerMemoryRatio_MakesPlacementRefuse_NamingTheMemoryFilter_WithTheRatio()
    {
        try
        {
            var body = await portal.VmBodyAsync(ApiClient.UniqueName("ratio"), 1536, nic: false);
            Assert.NotNull((await portal.PreviewAsync(body))["host"]); // 1.5 GiB fits test:///default's 2.5 GiB ceiling

            await PutAsync("/api/v1/overcommit", """{"memory": 0.5}""");

            // 3 GiB × 0.5 − 512 MiB = 1 GiB, 2 GiB × 0.5 − 512 MiB = 512 MiB: neither takes 1.5 GiB, and the create is refused.
            using var refused = await portal.CreateAsync(body);
            var problem = await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Conflict, "No host can take this VM");
            var verdicts = problem["hosts"]!.AsArray();
            Assert.Equal(2, verdicts.Count);
            Assert.All(verdicts, v => Assert.Equal("memory", (string)v!["filter"]!));
            var onDefault = (string)verdicts.Single(v => (string)v!["host"]! == SchedulingPortal.DefaultHost)!["reason"]!;
            Assert.Contains("(3 GiB × 0.5 − 512 MiB reserve = 1 GiB,", onDefault, StringComparison.Ordinal);
        }
        finally
        {
            await ResetAsync();
        }
        Assert.NotNull((await portal.PreviewAsync(await portal.VmBodyAsync(ApiClient.UniqueName("ratio"), 1536, nic: false)))["host"]);
    }

    [Fact]
    public async Task HostValue_BeatsTheInstallationValue_AndEachValueSaysWhereItComesFrom()
    {
        var small = await portal.HostIdAsync(portal.SmallHost);
        try
        {
            await PutAsync("/api/v1/overcommit", """{"memory": 0.5}""");
            var host = await PutAsync($"/api/v1/hosts/{small}/overcommit", """{"memory": 2, "reservedMemoryMiB": 256}""");

            Assert.Equal(2.0, (double)host["values"]!["memory"]!);
            Assert.Null(host["values"]!["cpu"]); // not set on the host: inherited
            Assert.Equal((2.0, "host"), Sourced(host["effective"]!["memory"]!));
            Assert.Equal((256.0, "host"), Sourced(host["effective"]!["reservedMemoryMiB"]!));
            Assert.Equal((4.0, "default"), Sourced(host["effective"]!["cpu"]!));

            var all = await ApiClient.ReadAsync(await portal.Admin.GetAsync("/api/v1/overcommit"));
            Assert.Equal(0.5, (double)all["installation"]!["memory"]!);
            Assert.Equal(4.0, (double)all["defaults"]!["cpu"]!);
            var onDefault = all["hosts"]!.AsArray().Single(h => (string)h!["host"]! == SchedulingPortal.DefaultHost)!;
            Assert.Equal((0.5, "installation"), Sourced(onDefault["effective"]!["memory"]!));

            // 2 GiB × 2 − 256 MiB on the small host; 3 GiB × 0.5 − 512 MiB = 1 GiB on test:///default, too little for 2 GiB.
            var preview = await portal.PreviewAsync(await portal.VmBodyAsync(ApiClient.UniqueName("override"), 2048, nic: false));
            Assert.Equal(portal.SmallHost, (string)preview["host"]!);
            Assert.Equal("memory", (string)preview["hosts"]!.AsArray().Single(h => (string)h!["host"]! == SchedulingPortal.DefaultHost)!["filter"]!);
        }
        finally
        {
            await ResetAsync();
        }
    }

    [Fact]
    public async Task CapacityApi_ShowsTheNewCeiling_AndTheChangeIsInTheHostsHistory()
    {
        var small = await portal.HostIdAsync(portal.SmallHost);
        try
        {
            var before = await CapacityHostAsync(portal.SmallHost);
            Assert.Equal(8.0, (double)before["vcpus"]!["ceiling"]!); // 2 CPUs × 4

            await PutAsync($"/api/v1/hosts/{small}/overcommit", """{"cpu": 8}""");

            Assert.Equal(16.0, (double)(await CapacityHostAsync(portal.SmallHost))["vcpus"]!["ceiling"]!);
            Assert.Equal(64.0, (double)(await CapacityHostAsync(SchedulingPortal.DefaultHost))["vcpus"]!["ceiling"]!); // 16 × 4, unchanged
            var history = JsonNode.Parse(await portal.Admin.GetStringAsync($"/api/v1/hosts/{small}/overcommit/history"))!.AsArray();
            Assert.Equal(TestCredentials.GodActor, (string)history[0]!["changedBy"]!);
        }
        finally
        {
            await ResetAsync();
        }
        Assert.Equal(8.0, (double)(await CapacityHostAsync(portal.SmallHost))["vcpus"]!["ceiling"]!);
        var cleared = JsonNode.Parse(await portal.Admin.GetStringAsync($"/api/v1/hosts/{small}/overcommit/history"))!.AsArray();
        Assert.Equal("overcommit cleared", (string)cleared[0]!["change"]!);
    }

    [Theory]
    [InlineData("host", """{"cpu": 0}""", "cpu", "Must be more than 0")]
    [InlineData("host", """{"cpu": 17}""", "cpu", "Must be at most 16")]
    [InlineData("installation", """{"memory": 4.5}""", "memory", "Must be at most 4")]
    [InlineData("installation", """{"disk": -1}""", "disk", "Must be more than 0")]
    [InlineData("host", """{"disk": 11}""", "disk", "Must be at most 10")]
    [InlineData("host", """{"reservedMemoryMiB": -1}""", "reservedMemoryMiB", "Must be 0 or more")]
    [InlineData("host", """{"reservedMemoryMiB": 2048}""", "reservedMemoryMiB", "is not less than the memory of test://")]
    [InlineData("installation", """{"reservedMemoryMiB": 4096}""", "reservedMemoryMiB", "is not less than the memory of")]
    [InlineData("installation", """{"cpuRatio": 8}""", "cpuRatio", "'cpuRatio' is not a field here")]
    [InlineData("host", """{"cpu": "eight"}""", "cpu", "as numbers")]
    public async Task BadValues_Are422NamingTheField_AndChangeNothing(string level, string body, string field, string text)
    {
        var url = level == "host" ? $"/api/v1/hosts/{await portal.HostIdAsync(portal.SmallHost)}/overcommit" : "/api/v1/overcommit";
        using var response = await portal.Admin.PutAsync(url, Json(body));
        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, text);
        Assert.NotNull(problem["errors"]![field]);

        var all = await ApiClient.ReadAsync(await portal.Admin.GetAsync("/api/v1/overcommit"));
        Assert.Empty(all["installation"]!.AsObject());
        Assert.All(all["hosts"]!.AsArray(), h => Assert.Empty(h!["values"]!.AsObject()));
    }

    [Fact]
    public async Task EveryOvercommitEndpoint_IsForAdministratorsOnly()
    {
        var small = await portal.HostIdAsync(portal.SmallHost);
        (HttpMethod Method, string Url)[] endpoints =
        [
            (HttpMethod.Get, "/api/v1/overcommit"),
            (HttpMethod.Put, "/api/v1/overcommit"),
            (HttpMethod.Get, "/api/v1/overcommit/history"),
            (HttpMethod.Get, $"/api/v1/hosts/{small}/overcommit"),
            (HttpMethod.Put, $"/api/v1/hosts/{small}/overcommit"),
            (HttpMethod.Get, $"/api/v1/hosts/{small}/overcommit/history"),
        ];
        using var anonymousClient = portal.App.CreateAnonymousClient();
        foreach (var (method, url) in endpoints)
        {
            using var user = await portal.User.SendAsync(Request(method, url));
            await ApiClient.AssertProblemAsync(user, HttpStatusCode.Forbidden, "Only administrators see and set overcommit");
            using var anonymous = await anonymousClient.SendAsync(Request(method, url));
            await ApiClient.AssertProblemAsync(anonymous, HttpStatusCode.Unauthorized, "No credentials");
        }
        using var unknown = await portal.Admin.SendAsync(Request(HttpMethod.Put, "/api/v1/hosts/000000000000/overcommit"));
        await ApiClient.AssertProblemAsync(unknown, HttpStatusCode.NotFound, "There is no host with id");

        // Nothing was stored by the refusals (each PUT above carried {"cpu": 8}).
        var all = await ApiClient.ReadAsync(await portal.Admin.GetAsync("/api/v1/overcommit"));
        Assert.Empty(all["installation"]!.AsObject());
        Assert.All(all["hosts"]!.AsArray(), h => Assert.Empty(h!["values"]!.AsObject()));
    }

    private static HttpRequestMessage Request(HttpMethod method, string url) =>
        new(method, url) { Content = method == HttpMethod.Put ? Json("""{"cpu": 8}""") : null };

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static (double, string) Sourced(JsonNode node) => ((double)node["value"]!, (string)node["source"]!);

    private async Task<JsonObject> PutAsync(string url, string body)
    {
        using var response = await portal.Admin.PutAsync(url, Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"PUT {url}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private async Task<JsonObject> CapacityHostAsync(string uri)
    {
        var capacity = JsonNode.Parse(await portal.Admin.GetStringAsync("/api/v1/capacity"))!;
        return capacity["hosts"]!.AsArray().Single(h => (string)h!["uri"]! == uri)!.AsObject();
    }

    /// <summary>Clears the installation's and every host's values (the objects stay, with their history).</summary>
    private async Task ResetAsync()
    {
        await PutAsync("/api/v1/overcommit", "{}");
        foreach (var host in new[] { SchedulingPortal.DefaultHost, portal.SmallHost })
            await PutAsync($"/api/v1/hosts/{await portal.HostIdAsync(host)}/overcommit", "{}");
    }
}
