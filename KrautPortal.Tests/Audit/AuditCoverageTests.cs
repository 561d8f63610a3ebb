using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Audit;

/// <summary>The audit trail is complete: every operation of the OpenAPI document that may change something leaves an entry.</summary>
public sealed class AuditCoverageTests(ApiClient api) : IClassFixture<ApiClient>
{
    private static readonly string[] Reads = ["get", "head", "options", "trace"];

    [Fact]
    public async Task EveryMutatingOperationOfTheOpenApiDocument_LeavesAnEntry_WithItsRouteMethodAndStatus()
    {
        var document = await api.GetAsync("/openapi/v1.json");
        var existing = new Dictionary<string, string>();
        var sent = new List<(string Method, string Route, int Status, string Url)>();
        foreach (var (route, operations) in document["paths"]!.AsObject())
        {
            foreach (var (method, _) in operations!.AsObject())
            {
                if (Reads.Contains(method)) continue;
                var url = await FillAsync(route, method, existing);
                using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), url)
                {
                    Content = new StringContent("{}", new MediaTypeHeaderValue("application/json")),
                };
                using var response = await api.Http.SendAsync(request);
                sent.Add((method.ToUpperInvariant(), route, (int)response.StatusCode, url));
            }
        }
        Assert.True(sent.Count >= 40, $"only {sent.Count} mutating operations in the OpenAPI document");

        var entries = await AuditProbe.WaitForAsync(api.App, sent.Count);
        var silent = sent.Where(s => !entries.Any(e => e.Method == s.Method && e.Route == s.Route && e.Status == s.Status && e.Path == s.Url))
            .Select(s => $"{s.Method} {s.Route} (answered {s.Status}; entries for it: "
                + string.Join(", ", entries.Where(e => e.Path == s.Url).Select(e => $"{e.Method} {e.Route} {e.Status}")) + ")")
            .ToList();
        Assert.True(silent.Count == 0, $"{silent.Count} of {sent.Count} mutating operations wrote no audit entry:\n" + string.Join("\n", silent));
        Assert.All(entries, e => Assert.Equal(e.Status >= 500 ? "failed" : e.Status >= 400 ? "refused" : "ok", e.Outcome));
    }

    /// <summary>
    /// Path parameters: an existing object of the path's kind (a random id for deletes, so the walk does not remove what
    /// later calls use), an action the VM knows, version 1, random ids for the rest.
    /// </summary>
    private async Task<string> FillAsync(string route, string method, Dictionary<string, string> existing)
    {
        var kind = route.Split('/', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(2) ?? "";
        var id = method == "delete" ? Guid.NewGuid().ToString() : await ExistingAsync(kind, existing) ?? Guid.NewGuid().ToString();
        var url = route.Replace("{id}", id, StringComparison.Ordinal)
            .Replace("{action}", "start", StringComparison.Ordinal)
            .Replace("{version}", "1", StringComparison.Ordinal)
            .Replace("{nicId}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
            .Replace("{sessionId}", Guid.NewGuid().ToString(), StringComparison.Ordinal);
        // Parameters this walk does not know yet (a user or group name): a plain word the route accepts.
        return System.Text.RegularExpressions.Regex.Replace(url, @"\{[^}/]+\}", "audit-walk");
    }

    private async Task<string?> ExistingAsync(string kind, Dictionary<string, string> existing)
    {
        if (existing.TryGetValue(kind, out var known)) return known;
        using var response = await api.Http.GetAsync($"/api/v1/{kind}?limit=1");
        if (!response.IsSuccessStatusCode) return null;
        // Lists of a kind are pages ({"items": […]}); other lists under /api/v1 (quotas) are not, and have no id to borrow.
        if (JsonNode.Parse(await response.Content.ReadAsStringAsync()) is not JsonObject page) return null;
        var first = (string?)page["items"]?.AsArray().FirstOrDefault()?["id"];
        if (first is not null) existing[kind] = first;
        return first;
    }
}
