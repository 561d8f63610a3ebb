using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace KrautPortal.Tests.Cli;

/// <summary>The CLI cannot drift from the API: every route it calls, and its list of kinds, against the OpenAPI document.</summary>
[Collection(CliCollection.Name)]
public sealed partial class CliDriftTests(CliPortal portal)
{
    [Fact]
    public async Task EveryRouteTheCliCalls_IsInThePortalsOpenApiDocument_AndItKnowsEveryKind()
    {
        using var http = new HttpClient { BaseAddress = portal.BaseAddress };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", Support.TestCredentials.GodHeader);
        var paths = (await http.GetFromJsonAsync<JsonObject>("/openapi/v1.json"))!["paths"]!.AsObject();
        var routes = (await portal.ExpectAsync(0, "api-routes")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.NotEmpty(routes);
        var missing = routes.Where(route =>
        {
            var (method, path) = (route.Split(' ')[0].ToLowerInvariant(), route.Split(' ')[1]);
            return paths[path] is not JsonObject operations || !operations.ContainsKey(method);
        }).ToList();
        Assert.True(missing.Count == 0, "routes the CLI calls that the portal does not serve: " + string.Join(", ", missing));

        // Kinds: every path with the shared history endpoint is a kind; the CLI must serve exactly those.
        var apiKinds = paths.Select(p => HistoryPath().Match(p.Key)).Where(m => m.Success).Select(m => m.Groups[1].Value).Order().ToList();
        var cliKinds = routes.Select(r => HistoryPath().Match(r.Split(' ')[1])).Where(m => m.Success).Select(m => m.Groups[1].Value).Order().ToList();
        Assert.Contains("vms", apiKinds);
        Assert.Equal(apiKinds, cliKinds);
    }

    [Fact]
    public async Task StartUp_HelpAnswersQuickly()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var help = await portal.ExpectAsync(0, "--help");
        watch.Stop();

        Assert.Contains("vm, vms", help.Out, StringComparison.Ordinal);
        // Generous for a shared CI machine; the README states the measured figure.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"kraut --help took {watch.Elapsed}");
    }

    [GeneratedRegex(@"^/api/v1/([^/]+)/\{id\}/history$")]
    private static partial Regex HistoryPath();
}
