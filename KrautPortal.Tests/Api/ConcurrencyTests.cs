using System.Net;
using System.Text.Json.Nodes;

namespace KrautPortal.Tests.Api;

/// <summary>Parallel writers on one object: unconditional writes all land, conditional ones let exactly one win.</summary>
public sealed class ConcurrencyTests(ApiClient api) : IClassFixture<ApiClient>
{
    private const int Writers = 20;

    [Theory]
    [InlineData("machine-types")]
    [InlineData("vms")]
    public async Task ParallelPatches_WithoutIfMatch_AllSucceed_AndNoneIsLost(string kind)
    {
        var created = await api.CreateAsync(kind, await api.SampleAsync(kind, ApiClient.UniqueName("race")));
        var url = $"/api/v1/{kind}/{created["id"]}";

        var responses = await Task.WhenAll(Enumerable.Range(0, Writers).Select(i =>
            api.PatchAsync(url, new JsonObject { ["metadata"] = new JsonObject { [$"writer{i}"] = i } })));

        try
        {
            foreach (var r in responses)
                Assert.True(r.StatusCode == HttpStatusCode.OK, $"{(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}");
            Assert.Equal(Enumerable.Range(2, Writers).Select(v => (long)v), responses.Select(ApiClient.ETagVersion).Order());
        }
        finally
        {
            foreach (var r in responses) r.Dispose();
        }
        var final = await api.GetAsync(url);
        Assert.Equal(1 + Writers, (long)final["version"]!);
        // Each writer's key is there: every patch was applied to the version before it, none overwrote another.
        var metadata = final["metadata"]!.AsObject();
        Assert.Equal(Enumerable.Range(0, Writers).Select(i => $"writer{i}").Order(), metadata.Select(p => p.Key).Order());
        var history = await api.GetArrayAsync($"{url}/history");
        Assert.Equal(Enumerable.Range(1, 1 + Writers).Reverse().Select(v => (long)v), history.Select(h => (long)h!["version"]!));
    }

    [Theory]
    [InlineData("machine-types")]
    [InlineData("vms")]
    public async Task ParallelPatches_WithTheSameIfMatch_ExactlyOneSucceeds_TheRestGet412(string kind)
    {
        var created = await api.CreateAsync(kind, await api.SampleAsync(kind, ApiClient.UniqueName("race")));
        var url = $"/api/v1/{kind}/{created["id"]}";

        var responses = await Task.WhenAll(Enumerable.Range(0, Writers).Select(i =>
            api.PatchAsync(url, new JsonObject { ["metadata"] = new JsonObject { [$"writer{i}"] = i } }, ifMatch: "\"1\"")));

        try
        {
            var winner = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
            Assert.Equal(2, ApiClient.ETagVersion(winner));
            foreach (var loser in responses.Where(r => r != winner))
            {
                await ApiClient.AssertProblemAsync(loser, HttpStatusCode.PreconditionFailed, "version 1");
                Assert.Equal(2, ApiClient.ETagVersion(loser));
            }
        }
        finally
        {
            foreach (var r in responses) r.Dispose();
        }
        var final = await api.GetAsync(url);
        Assert.Equal(2, (long)final["version"]!);
        Assert.Single(final["metadata"]!.AsObject());
        Assert.Equal(2, (await api.GetArrayAsync($"{url}/history")).Count);
    }
}
