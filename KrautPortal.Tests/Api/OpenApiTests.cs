using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace KrautPortal.Tests.Api;

/// <summary>The OpenAPI document and the browsable API page (Scalar), served from the portal itself.</summary>
public sealed partial class OpenApiTests(ApiClient api) : IClassFixture<ApiClient>
{
    [Fact]
    public async Task OpenApiDocument_IsJson_ListingEveryKindsPaths()
    {
        var document = await api.GetAsync("/openapi/v1.json");

        Assert.StartsWith("3.", (string?)document["openapi"], StringComparison.Ordinal);
        Assert.Equal("Kraut Computing API", (string?)document["info"]!["title"]);
        var paths = document["paths"]!.AsObject();
        foreach (var kind in new[] { "machine-types", "images", "networks", "vms", "firewalls", "routers" })
        {
            Assert.Contains($"/api/v1/{kind}", paths.Select(p => p.Key));
            foreach (var suffix in new[] { "/{id}", "/{id}/history", "/{id}/history/{version}", "/{id}/diff", "/{id}/revert" })
                Assert.Contains($"/api/v1/{kind}{suffix}", paths.Select(p => p.Key));
        }
        foreach (var path in new[] { "/api/v1/vms/{id}/actions/{action}", "/api/v1/vms/actions/{action}", "/api/v1/vms/{id}/nics", "/api/v1/vms/{id}/nics/{nicId}",
            "/api/v1/firewalls/{id}/preview", "/api/v1/firewalls/{id}/counters", "/api/v1/firewalls/{id}/routers",
            "/api/v1/vms/{id}/console", "/api/v1/consoles", "/api/v1/consoles/{sessionId}" })
            Assert.Contains(path, paths.Select(p => p.Key));
        Assert.Equal(["post"], paths["/api/v1/vms/{id}/console"]!.AsObject().Select(p => p.Key));
        // The console's WebSocket is no operation OpenAPI can describe; the ticket's answer names it.
        Assert.DoesNotContain("/api/v1/vms/{id}/console/{type}", paths.Select(p => p.Key));
        Assert.Equal(["post"], paths["/api/v1/firewalls/{id}/preview"]!.AsObject().Select(p => p.Key));
        Assert.Equal("PreviewFirewall", (string?)paths["/api/v1/firewalls/{id}/preview"]!["post"]!["operationId"]);
        Assert.Equal(["delete", "get", "patch", "put"], paths["/api/v1/vms/{id}"]!.AsObject().Select(p => p.Key).Order());
        Assert.Contains("application/merge-patch+json", paths["/api/v1/vms/{id}"]!["patch"]!["requestBody"]!["content"]!.AsObject().Select(p => p.Key));
        var operationIds = paths.SelectMany(p => p.Value!.AsObject().Select(op => (string?)op.Value!["operationId"])).ToList();
        Assert.Equal(operationIds.Count, operationIds.Distinct().Count());
    }

    [Fact]
    public async Task ApiDocs_IsAnHtmlPage_WhoseScriptsAndDocumentLoadFromThePortal()
    {
        using var page = await api.Http.GetAsync("/api/docs");
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<title>Kraut Computing API</title>", html, StringComparison.Ordinal);
        var pageUri = page.RequestMessage!.RequestUri!;

        // Every script and link comes from the portal: nothing needs the internet.
        var references = ReferencePattern().Matches(html).Select(m => m.Groups["url"].Value).ToList();
        var scripts = ScriptPattern().Matches(html).Select(m => m.Groups["url"].Value).ToList();
        Assert.NotEmpty(scripts);
        Assert.All(references, url => Assert.DoesNotMatch("^(https?:)?//", url));
        foreach (var script in scripts)
        {
            using var response = await api.Http.GetAsync(new Uri(pageUri, script));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{script}: {(int)response.StatusCode}");
            Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
            Assert.True(body.Length > 1000, $"{script} is only {body.Length} characters");
        }

        // The page's configuration names the document; Scalar resolves it against the site root.
        var source = SourcePattern().Match(html);
        Assert.True(source.Success, "the page names no OpenAPI document");
        using var document = await api.Http.GetAsync("/" + source.Groups["url"].Value.TrimStart('/'));
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        Assert.NotNull(JsonNode.Parse(await document.Content.ReadAsStringAsync())!["paths"]!["/api/v1/vms"]);
    }

    [GeneratedRegex(@"<script[^>]*\ssrc=""(?<url>[^""]+)""")]
    private static partial Regex ScriptPattern();

    [GeneratedRegex(@"\s(?:src|href)=""(?<url>[^""]+)""")]
    private static partial Regex ReferencePattern();

    [GeneratedRegex(@"""sources"":\[\{[^}]*""url"":""(?<url>[^""]+)""")]
    private static partial Regex SourcePattern();
}
