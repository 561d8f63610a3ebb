using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features.Store;
using KrautPortal.Features.Store.Selectors;
using KrautPortal.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Store;

/// <summary>
/// resource_labels, the index selectors search: kept in step with metadata on every write (create, replace, patch,
/// revert, delete), and selectors over it mean what they mean in memory (<see cref="SelectorMatcher"/>), whichever
/// requirement leads the query.
/// </summary>
public sealed class ResourceLabelTests(ApiClient api) : IClassFixture<ApiClient>
{
    private static readonly string LongValue = new('x', 300);

    private static JsonObject Edges(string run) => new()
    {
        ["run"] = run,
        ["t"] = "a",
        ["n"] = JsonNode.Parse("1.50"),
        ["flag"] = true,
        ["nothing"] = null,
        ["a.b"] = "dotted",
        ["nest"] = new JsonObject { ["a"] = new JsonObject { ["b"] = "deep" }, ["a.b"] = new JsonObject { ["c"] = "hidden" } },
        ["team-x/role"] = "db",
        ["list"] = new JsonArray("x", new JsonObject { ["k"] = "v" }),
        ["long"] = LongValue,
        ["sp ace"] = "v",
    };

    [Fact]
    public async Task Labels_FollowEveryWrite_AndSelectorsMeanWhatTheyMeanInMemory()
    {
        var run = Guid.NewGuid().ToString("N")[..12];
        var created = await api.CreateAsync("machine-types", await api.SampleAsync("machine-types", $"lbl-{run}", Edges(run)));
        var id = (Guid)created["id"]!;
        var url = $"/api/v1/machine-types/{id}";

        async Task AssertSelectsAsync(string selector, bool expected)
        {
            var metadata = (JsonObject)(await api.GetAsync(url))["metadata"]!;
            Assert.Equal(expected, SelectorMatcher.Matches(SelectorParser.Parse(selector), metadata));
            var found = await api.ListAllAsync("machine-types", $"run={run},{selector}");
            Assert.True(expected == (found.Count == 1), $"'{selector}' should {(expected ? "" : "not ")}select the object");
        }

        await AssertSelectsAsync("t=a", true);
        await AssertSelectsAsync("n=1.50", true);
        await AssertSelectsAsync("n=1.5", false);
        await AssertSelectsAsync("flag=true", true);
        await AssertSelectsAsync("flag in (false,true)", true);
        await AssertSelectsAsync("nothing=null", true);
        await AssertSelectsAsync("nothing", true);
        // A member named "a.b" is not "a" → "b": neither it nor what is under it answers a dotted key.
        await AssertSelectsAsync("a.b=dotted", false);
        await AssertSelectsAsync("a.b", false);
        await AssertSelectsAsync("!a.b", true);
        await AssertSelectsAsync("nest.a.b=deep", true);
        await AssertSelectsAsync("nest.a.b.c", false);
        await AssertSelectsAsync("nest.a", true);
        await AssertSelectsAsync("nest.a!=deep", true);
        await AssertSelectsAsync("team-x/role=db", true);
        // Arrays are values, never searched inside.
        await AssertSelectsAsync("list", true);
        await AssertSelectsAsync("list=x", false);
        await AssertSelectsAsync("list.k", false);
        // Longer than any selector value: present, never equal.
        await AssertSelectsAsync("long", true);
        await AssertSelectsAsync($"long!={LongValue[..253]}", true);

        // Patch: a label removed, one changed, one added.
        using (var patched = await api.PatchAsync(url, new JsonObject { ["metadata"] = new JsonObject { ["t"] = null, ["flag"] = "no", ["added"] = "yes" } }))
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        await AssertSelectsAsync("t", false);
        await AssertSelectsAsync("!t", true);
        await AssertSelectsAsync("t!=a", true);
        await AssertSelectsAsync("flag=true", false);
        await AssertSelectsAsync("flag=no", true);
        await AssertSelectsAsync("added=yes", true);

        // Replace: the whole metadata goes, the new one comes.
        var replaced = await api.GetAsync(url);
        replaced["metadata"] = new JsonObject { ["run"] = run, ["only"] = "this" };
        using (var put = await api.PutAsync(url, replaced))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        await AssertSelectsAsync("only=this", true);
        await AssertSelectsAsync("nest.a.b", false);
        await AssertSelectsAsync("added", false);

        // Revert to the first version: its labels come back, the replaced ones go.
        using (var reverted = await api.PostAsync($"{url}/revert", new JsonObject { ["version"] = 1 }))
            Assert.Equal(HttpStatusCode.OK, reverted.StatusCode);
        await AssertSelectsAsync("t=a", true);
        await AssertSelectsAsync("nest.a.b=deep", true);
        await AssertSelectsAsync("only", false);

        var seq = await WithDbAsync(db => db.Resources.Where(r => r.Id == id).Select(r => r.Seq).SingleAsync());
        Assert.NotEqual(0, await WithDbAsync(db => db.Set<ResourceLabelRow>().CountAsync(l => l.ResourceSeq == seq)));
        using (var deleted = await api.DeleteAsync(url))
            Assert.True(deleted.IsSuccessStatusCode);
        Assert.Empty(await api.ListAllAsync("machine-types", $"run={run}"));
        Assert.Equal(0, await WithDbAsync(db => db.Set<ResourceLabelRow>().CountAsync(l => l.ResourceSeq == seq)));
    }

    private static readonly JsonObject[] Population =
    [
        new() { ["env"] = "prod", ["tier"] = "web", ["n"] = 3, ["app"] = new JsonObject { ["tier"] = "web" } },
        new() { ["env"] = "prod", ["tier"] = "db", ["n"] = "3", ["legacy"] = "true" },
        new() { ["env"] = "dev", ["tier"] = "web", ["n"] = 3.5, ["app"] = "flat" },
        new() { ["env"] = "staging", ["app"] = new JsonObject { ["tier"] = "db", ["name"] = "x" } },
        new() { ["tier"] = "cache", ["legacy"] = false },
        new(),
    ];

    public static readonly TheoryData<string> Selectors = new()
    {
        "env=prod", "env!=prod", "env in (prod,dev)", "env notin (prod,dev)", "env", "!env", "n=3", "n in (3,3.5)", "n!=3",
        "app.tier=web", "app.tier", "!app.tier", "app.tier notin (web)", "app", "app=flat", "legacy=false", "legacy",
        "env=prod,tier=web", "env=prod,!legacy", "tier in (web,db),app.tier in (web,db)", "env,tier,!legacy", "env=nothing",
    };

    [Theory]
    [MemberData(nameof(Selectors))]
    public async Task Selector_GivesTheSameObjects_WhicheverRequirementLeads_AndAsInMemory(string selector)
    {
        var run = Guid.NewGuid().ToString("N")[..12];
        var names = new Dictionary<string, JsonObject>();
        for (var i = 0; i < Population.Length; i++)
        {
            var metadata = (JsonObject)Population[i].DeepClone();
            metadata["run"] = run;
            names[$"lead-{run}-{i}"] = metadata;
            await api.CreateAsync("machine-types", await api.SampleAsync("machine-types", $"lead-{run}-{i}", metadata));
        }
        var parsed = new Selector([.. SelectorParser.Parse(selector).Requirements, .. SelectorParser.Parse($"run={run}").Requirements]);
        var expected = names.Where(n => SelectorMatcher.Matches(parsed, n.Value)).Select(n => n.Key).Order().ToList();

        var leads = parsed.Requirements.Where(r => r.Operator is SelectorOperator.Equals or SelectorOperator.In or SelectorOperator.Exists)
            .SelectMany(r => new LeadLabel?[] { new("machine-types", r, LeadMode.StartFrom), new("machine-types", r, LeadMode.Set) }).Prepend(null);
        foreach (var lead in leads)
        {
            var got = await WithDbAsync(db =>
            {
                var sql = api.App.Service<DatabaseProvider>().Dialect.Select(parsed, lead);
#pragma warning disable EF1003 // the dialect's own text; values are parameters
                return db.Resources.FromSqlRaw(sql.Sql, sql.Parameters.ToArray()).Where(r => r.Kind == "machine-types").Select(r => r.Name).ToListAsync();
#pragma warning restore EF1003
            });
            Assert.True(expected.SequenceEqual(got.Order()), $"led by {(lead is null ? "the name index" : $"{lead.Requirement.Key} ({lead.Mode})")}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", got.Order())}]");
        }
        var listed = (await api.ListAllAsync("machine-types", $"run={run},{selector}")).Select(i => (string)i["name"]!).Order().ToList();
        Assert.Equal(expected, listed);
    }

    private async Task<T> WithDbAsync<T>(Func<KrautDbContext, Task<T>> work)
    {
        await using var scope = api.App.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<KrautDbContext>());
    }
}
