using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Text.Json.Nodes;
using KrautPortal.Features.Store;
using KrautPortal.Features.Store.Selectors;
using KrautPortal.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Store;

/// <summary>
/// Selectors run as SQL over real SQLite rows: machine types (cheap, no libvirt) are created through the API
/// with varied metadata, and each selector must return exactly the expected set.
/// </summary>
public sealed class SelectorSqlTests : IClassFixture<ApiClient>, IAsyncLifetime
{
    private readonly ApiClient _api;

    // Every object here carries suite=<run>; each selector is scoped with it so seeded objects never count.
    private readonly string _suite = Guid.NewGuid().ToString("N")[..12];

    public SelectorSqlTests(ApiClient api) => _api = api;

    private static readonly Dictionary<string, JsonObject> Metadata = new()
    {
        ["a"] = new() { ["env"] = "prod", ["replicas"] = 3, ["enabled"] = true, ["app"] = new JsonObject { ["tier"] = "web" }, ["team-x/role"] = "db" },
        ["b"] = new() { ["env"] = "staging", ["replicas"] = "3", ["enabled"] = "true", ["app"] = new JsonObject { ["tier"] = "db" } },
        ["c"] = new() { ["env"] = "dev", ["replicas"] = 5, ["enabled"] = false, ["app"] = "flat" },
        ["d"] = new(),
        ["e"] = new() { ["env"] = "prod", ["replicas"] = 3.5, ["nested"] = new JsonObject { ["deep"] = new JsonObject { ["x"] = 1 } } },
    };

    public async Task InitializeAsync()
    {
        foreach (var (key, metadata) in Metadata)
        {
            var copy = (JsonObject)metadata.DeepClone();
            copy["suite"] = _suite;
            await _api.CreateAsync("machine-types", await _api.SampleAsync("machine-types", $"sel-{_suite}-{key}", copy));
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("env=prod", "a,e")]
    [InlineData("env==prod", "a,e")]
    [InlineData("env!=prod", "b,c,d")]
    [InlineData("env in (prod,dev)", "a,c,e")]
    [InlineData("env notin (prod,dev)", "b,d")]
    [InlineData("env", "a,b,c,e")]
    [InlineData("!env", "d")]
    [InlineData("env=nothing", "")]
    [InlineData("replicas=3", "a,b")]
    [InlineData("replicas!=3", "c,d,e")]
    [InlineData("replicas in (3,5)", "a,b,c")]
    [InlineData("replicas=3.5", "e")]
    [InlineData("enabled=true", "a,b")]
    [InlineData("enabled=false", "c")]
    [InlineData("app.tier=web", "a")]
    [InlineData("app.tier", "a,b")]
    [InlineData("!app.tier", "c,d,e")]
    [InlineData("app.tier!=web", "b,c,d,e")]
    [InlineData("app.tier notin (web,db)", "c,d,e")]
    [InlineData("app=flat", "c")]
    [InlineData("app", "a,b,c")]
    [InlineData("nested.deep.x=1", "e")]
    [InlineData("team-x/role=db", "a")]
    [InlineData("team-x/role", "a")]
    [InlineData("env=prod,replicas=3", "a")]
    [InlineData("env=prod,!app", "e")]
    [InlineData(" env in ( prod , staging ) , app.tier != web ", "b,e")]
    public async Task List_WithSelector_ReturnsExactlyTheMatchingObjects(string selector, string expected)
    {
        var items = await _api.ListAllAsync("machine-types", $"suite={_suite},{selector}");

        var names = items.Select(i => ((string)i["name"]!)[$"sel-{_suite}-".Length..]).Order().ToList();
        Assert.Equal(expected.Split(',', StringSplitOptions.RemoveEmptyEntries), names);
    }

    /// <summary>Characters a JSON writer may escape (<c>\u002B</c>, <c>\u003C</c>, <c>\u00FC</c>, surrogate pairs).</summary>
    public static readonly TheoryData<string> ValuesJsonEscapes = new() { "a+b", "<x>", "R&D", "o'neil", "müller", "🚀", "a+b&<ü>'🚀" };

    [Theory]
    [MemberData(nameof(ValuesJsonEscapes))]
    public async Task Selector_OnAValueJsonWritersEscape_MatchesTheSameInSqlAndInMemory_WhetherStoredEscapedOrNot(string value)
    {
        var run = Guid.NewGuid().ToString("N")[..12];
        async Task<Guid> CreateAsync(string name, string v) => (Guid)(await _api.CreateAsync("machine-types",
            await _api.SampleAsync("machine-types", $"esc-{run}-{name}", new JsonObject { ["run"] = run, ["v"] = v })))["id"]!;
        var stored = await CreateAsync("stored", value);
        var legacy = await CreateAsync("legacy", "placeholder");
        await CreateAsync("other", value + "x");
        // A row as Kraut wrote them before it stored JSON unescaped: System.Text.Json's default encoder escapes all of these.
        var escaped = new JsonObject { ["run"] = run, ["v"] = value }.ToJsonString();
        Assert.Contains("\\u", escaped, StringComparison.Ordinal);
        await using (var scope = _api.App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
            await db.Resources.Where(r => r.Id == legacy).ExecuteUpdateAsync(u => u.SetProperty(r => r.Metadata, escaped));
            var written = await db.Resources.AsNoTracking().Where(r => r.Id == stored).Select(r => r.Metadata).SingleAsync();
            // Stored as written; only characters beyond the BMP (the emoji) are still escaped by System.Text.Json.
            foreach (var part in value.Split("🚀", StringSplitOptions.RemoveEmptyEntries)) Assert.Contains(part, written, StringComparison.Ordinal);
        }

        async Task<List<string>> NamesAsync(string selector) => (await _api.ListAllAsync("machine-types", $"run={run},{selector}"))
            .Select(i => ((string)i["name"]!)[$"esc-{run}-".Length..]).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["legacy", "stored"], await NamesAsync($"v={value}"));
        Assert.Equal(["legacy", "stored"], await NamesAsync($"v in (zzz,{value})"));
        Assert.Equal(["other"], await NamesAsync($"v!={value}"));
        Assert.Equal(["other"], await NamesAsync($"v notin ({value})"));
        Assert.True(SelectorMatcher.Matches(SelectorParser.Parse($"v={value}"), KrautJson.ParseObject(escaped)));
        Assert.False(SelectorMatcher.Matches(SelectorParser.Parse($"v!={value}"), KrautJson.ParseObject(escaped)));
    }

    [Fact]
    public async Task List_WithSelector_FiltersBeforeTheLimit()
    {
        // 'e' is the last by name; a filter applied after taking the first page in memory would miss it.
        var page = await _api.GetAsync($"/api/v1/machine-types?limit=1&selector={Uri.EscapeDataString($"suite={_suite},nested.deep.x=1")}");

        var item = Assert.Single(page["items"]!.AsArray());
        Assert.Equal($"sel-{_suite}-e", (string?)item!["name"]);
        Assert.Null(page["continue"]);
    }

    [Fact]
    public async Task List_WithSelector_SendsTheFilterToTheLabelTableWithParameters()
    {
        var probeKey = "sqlprobe-" + _suite;
        using var capture = new SqlCapture();

        var items = await _api.ListAllAsync("machine-types", $"{probeKey}=x,suite={_suite}");

        Assert.Empty(items);
        // The page query that carries our key: key and value travel as parameters, the filter is a lookup in
        // resource_labels (indexed), not a JSON function over every row's metadata.
        var command = Assert.Single(capture.Commands, c => c.Parameters.Contains(probeKey) && c.Text.Contains("ORDER BY", StringComparison.Ordinal));
        Assert.Contains("\"resource_labels\"", command.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"Metadata\" ->", command.Text, StringComparison.Ordinal);
        Assert.Contains("LIMIT", command.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(probeKey, command.Text, StringComparison.Ordinal);
    }

    /// <summary>Records the SQL EF Core sends (all contexts in this process) through its DiagnosticListener.</summary>
    private sealed class SqlCapture : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        private readonly IDisposable _all;
        private readonly ConcurrentBag<IDisposable> _subscriptions = [];
        private readonly ConcurrentQueue<(string Text, List<string?> Parameters)> _commands = new();

        public SqlCapture() => _all = DiagnosticListener.AllListeners.Subscribe(this);

        public IReadOnlyList<(string Text, List<string?> Parameters)> Commands => _commands.ToList();

        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == DbLoggerCategory.Name) _subscriptions.Add(listener.Subscribe(this));
        }

        public void OnNext(KeyValuePair<string, object?> e)
        {
            if (e.Key == RelationalEventId.CommandExecuting.Name && e.Value is CommandEventData data)
            {
                var parameters = data.Command.Parameters.Cast<DbParameter>().Select(p => p.Value?.ToString()).ToList();
                _commands.Enqueue((data.Command.CommandText, parameters));
            }
        }

        public void OnCompleted() { }

        public void OnError(Exception error) { }

        public void Dispose()
        {
            _all.Dispose();
            foreach (var s in _subscriptions) s.Dispose();
        }
    }
}
