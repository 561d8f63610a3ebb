using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Tests.Api;

/// <summary>Keyset paging: limit + continue walk every item once, in order, also across ties in the sort key.</summary>
public sealed class PagingTests(ApiClient api) : IClassFixture<ApiClient>
{
    private static readonly DateTime T0 = new(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    /// <summary>In insertion order: name, owner, and creation time as seconds after T0 (several ties on both).</summary>
    private static readonly (string Name, string Owner, int Created)[] Items =
    [
        ("m", "admin", 5),
        ("c", "admin", 1),
        ("x", "admin", 3),
        ("c", "other-team", 1),
        ("a", "admin", 3),
        ("m", "other-team", 1),
        ("z", "admin", 0),
        ("b", "admin", 3),
    ];

    [Theory]
    [InlineData("name", 1)]
    [InlineData("name", 3)]
    [InlineData("-name", 2)]
    [InlineData("created", 2)]
    [InlineData("-created", 3)]
    [InlineData("created", 1)]
    [InlineData("-name", 8)]
    public async Task List_WalkingContinueTokens_VisitsEveryItemOnceInOrder_AcrossTies(string sort, int limit)
    {
        var (selector, ids) = await CreateItemsAsync();

        var seen = new List<Guid>();
        string? token = null;
        var pages = 0;
        do
        {
            var url = $"/api/v1/machine-types?selector={Uri.EscapeDataString(selector)}&sort={sort}&limit={limit}"
                + (token is null ? "" : "&continue=" + Uri.EscapeDataString(token));
            var page = await api.GetAsync(url);
            var items = page["items"]!.AsArray();
            Assert.InRange(items.Count, 1, limit);
            seen.AddRange(items.Select(i => Guid.Parse((string)i!["id"]!)));
            token = (string?)page["continue"];
            Assert.True(++pages <= Items.Length, "paging does not end");
        }
        while (token is not null);

        var expected = Expected(sort).Select(i => ids[i]).ToList();
        Assert.Equal(expected, seen);
        Assert.Equal((Items.Length + limit - 1) / limit, pages);
    }

    [Fact]
    public async Task List_ContinueTokenWithAnotherSelector_Returns400()
    {
        var (selector, _) = await CreateItemsAsync();
        var token = await FirstTokenAsync(selector, "name");

        using var response = await api.Http.GetAsync($"/api/v1/machine-types?selector={Uri.EscapeDataString(selector + ",x")}&sort=name&limit=2&continue={Uri.EscapeDataString(token)}");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, "different query");
    }

    [Fact]
    public async Task List_ContinueTokenWithAnotherSortOrKind_Returns400()
    {
        var (selector, _) = await CreateItemsAsync();
        var token = Uri.EscapeDataString(await FirstTokenAsync(selector, "name"));

        using var otherSort = await api.Http.GetAsync($"/api/v1/machine-types?selector={Uri.EscapeDataString(selector)}&sort=-name&limit=2&continue={token}");
        using var otherKind = await api.Http.GetAsync($"/api/v1/images?selector={Uri.EscapeDataString(selector)}&sort=name&limit=2&continue={token}");

        await ApiClient.AssertProblemAsync(otherSort, HttpStatusCode.BadRequest, "different query");
        await ApiClient.AssertProblemAsync(otherKind, HttpStatusCode.BadRequest, "different query");
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("eyJ4IjoxfQ")]
    [InlineData("%FF%FE")]
    public async Task List_ContinueTokenNotIssuedByUs_Returns400(string token)
    {
        using var response = await api.Http.GetAsync($"/api/v1/machine-types?continue={token}");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, "continue token");
    }

    [Theory]
    [InlineData("created", "not-a-time")]
    [InlineData("-updated", "99999999999999999999999")]
    [InlineData("created", "-5")]
    [InlineData("-created", "9223372036854775807")]
    public async Task List_TamperedContinueToken_Returns400(string sort, string value)
    {
        var (selector, _) = await CreateItemsAsync();
        var token = JsonNode.Parse(Base64Url.DecodeFromChars(await FirstTokenAsync(selector, sort)))!.AsObject();
        token["Value"] = value;
        var tampered = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(token.ToJsonString()));

        using var response = await api.Http.GetAsync($"/api/v1/machine-types?selector={Uri.EscapeDataString(selector)}&sort={sort}&limit=2&continue={tampered}");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, "continue token");
    }

    [Theory]
    [InlineData("limit=0", "limit must be between 1 and 500 (got 0)")]
    [InlineData("limit=501", "limit must be between 1 and 500 (got 501)")]
    [InlineData("limit=-1", "limit must be between 1 and 500")]
    [InlineData("sort=foo", "Cannot sort by 'foo'")]
    [InlineData("sort=-", "Cannot sort by '-'")]
    [InlineData("limit=abc", "limit")]
    [InlineData("limit=1.5", "limit")]
    [InlineData("selector=env%3D", "position 5")]
    public async Task List_WithInvalidQuery_Returns400ProblemSayingWhy(string query, string detail)
    {
        using var response = await api.Http.GetAsync($"/api/v1/machine-types?{query}");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
    }

    [Fact]
    public async Task List_AtTheLimits_Succeeds()
    {
        var one = await api.GetAsync("/api/v1/machine-types?limit=1&sort=-created");
        var max = await api.GetAsync("/api/v1/machine-types?limit=500&sort=updated");

        Assert.Single(one["items"]!.AsArray());
        Assert.NotNull(one["continue"]);
        Assert.Null(max["continue"]);
    }

    /// <summary>Indexes into <see cref="Items"/> in the order the API must return them: sort key, then insertion order.</summary>
    private static List<int> Expected(string sort)
    {
        var ascending = Enumerable.Range(0, Items.Length).OrderBy(i => 0);
        ascending = sort.TrimStart('-') == "name"
            ? ascending.ThenBy(i => Items[i].Name, StringComparer.Ordinal)
            : ascending.ThenBy(i => Items[i].Created);
        var ordered = ascending.ThenBy(i => i).ToList();
        if (sort.StartsWith('-')) ordered.Reverse();
        return ordered;
    }

    [Fact]
    public async Task List_ByName_ReturnsExactlyThatName_OnePerOwner_PagedLikeAnyList_AndItsTokenServesOnlyThatName()
    {
        var (selector, ids) = await CreateItemsAsync();
        var expected = Items.Select((item, i) => (item, i)).Where(x => x.item.Name == "c").Select(x => ids[x.i]).ToHashSet();
        var run = selector["run=".Length..];

        var first = await api.GetAsync($"/api/v1/machine-types?selector={Uri.EscapeDataString(selector)}&name={run}-c&limit=1");
        var token = (string?)first["continue"] ?? throw new InvalidOperationException("two items are named c: expected a second page");
        var second = await api.GetAsync($"/api/v1/machine-types?selector={Uri.EscapeDataString(selector)}&name={run}-c&limit=1&continue={Uri.EscapeDataString(token)}");
        Assert.Null((string?)second["continue"]);
        var seen = first["items"]!.AsArray().Concat(second["items"]!.AsArray()).Select(i => Guid.Parse((string)i!["id"]!)).ToHashSet();
        Assert.Equal(expected, seen);

        Assert.Empty((await api.GetAsync($"/api/v1/machine-types?selector={Uri.EscapeDataString(selector)}&name={run}-C"))["items"]!.AsArray());
        using var otherName = await api.Http.GetAsync($"/api/v1/machine-types?selector={Uri.EscapeDataString(selector)}&name={run}-m&limit=1&continue={Uri.EscapeDataString(token)}");
        await ApiClient.AssertProblemAsync(otherName, HttpStatusCode.BadRequest, "different query");
    }

    /// <summary>
    /// Creates <see cref="Items"/> with a selector only they match. Same-name items of another owner go through
    /// the store (the API always acts as admin); creation times are then set so several are exactly equal.
    /// </summary>
    private async Task<(string Selector, Guid[] Ids)> CreateItemsAsync()
    {
        var run = "paging-" + Guid.NewGuid().ToString("N")[..8];
        var ids = new Guid[Items.Length];
        for (var i = 0; i < Items.Length; i++)
        {
            var body = await api.SampleAsync("machine-types", $"{run}-{Items[i].Name}", new JsonObject { ["run"] = run });
            if (Items[i].Owner == "admin")
            {
                ids[i] = Guid.Parse((string)(await api.CreateAsync("machine-types", body))["id"]!);
                continue;
            }
            var row = await api.App.WithScopeAsync<ResourceStore, ResourceRow>(store => store.CreateAsync(
                new NewResource("machine-types", (string)body["name"]!, Items[i].Owner, body["metadata"]!.AsObject(), body["spec"]!.ToJsonString(), "{}"),
                Actor.System, CancellationToken.None));
            ids[i] = row.Id;
        }
        for (var i = 0; i < Items.Length; i++)
        {
            var id = ids[i];
            var at = T0.AddSeconds(Items[i].Created);
            await api.App.WithScopeAsync<KrautDbContext, int>(db =>
                db.Resources.Where(r => r.Id == id).ExecuteUpdateAsync(s => s.SetProperty(r => r.CreatedAt, at)));
        }
        return ("run=" + run, ids);
    }

    private async Task<string> FirstTokenAsync(string selector, string sort)
    {
        var page = await api.GetAsync($"/api/v1/machine-types?selector={Uri.EscapeDataString(selector)}&sort={sort}&limit=2");
        return (string?)page["continue"] ?? throw new InvalidOperationException("expected a continue token");
    }
}
