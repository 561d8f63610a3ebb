using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Web;

/// <summary>
/// The portal under /kraut behind a real nginx: what it writes into pages, redirects, Location headers and the API
/// description carries the prefix, and its same-origin checks judge by the public address the proxy forwards.
/// </summary>
public sealed class PathBaseProxyTests(PathBasePortal site) : IClassFixture<PathBasePortal>
{
    [Fact]
    public async Task ThePages_ResolveAgainstThePrefix_AndTheirCookiesStayUnderIt()
    {
        using var client = site.CreatePublicClient();

        using var login = await client.GetAsync("login");

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var html = await login.Content.ReadAsStringAsync();
        Assert.Contains("""<base href="/kraut/" />""", html);
        Assert.Contains("""<form method="post" action="auth/login">""", html);
        Assert.Contains(login.Headers.GetValues("Set-Cookie"), c => c.Contains("path=/kraut;", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APageForSignedInUsers_SendsAVisitorToTheSignInPage_AtThePublicAddress()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = site.PublicAddress };

        using var response = await client.GetAsync("vms");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"http://127.0.0.1:{site.Nginx.Port}/kraut/login?ReturnUrl=%2Fkraut%2Fvms", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task ACreatedObject_IsNamedUnderThePrefix_ThroughTheProxy_AndAtTheRootDirectly()
    {
        using var proxied = site.CreatePublicClient();
        using var direct = site.Portal.CreateClient();

        using var viaProxy = await proxied.PostAsJsonAsync("api/v1/machine-types", MachineType("via-proxy"));
        using var viaPort = await direct.PostAsJsonAsync("api/v1/machine-types", MachineType("direct"));

        Assert.Equal(HttpStatusCode.Created, viaProxy.StatusCode);
        var id = (string)(await viaProxy.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        Assert.Equal($"/kraut/api/v1/machine-types/{id}", viaProxy.Headers.Location?.ToString());
        using (var follow = await proxied.GetAsync(new Uri(site.PublicAddress, viaProxy.Headers.Location!)))
            Assert.Equal(HttpStatusCode.OK, follow.StatusCode);
        var directId = (string)(await viaPort.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        Assert.Equal($"/api/v1/machine-types/{directId}", viaPort.Headers.Location?.ToString());

        using (await proxied.DeleteAsync($"api/v1/machine-types/{id}")) { }
        using (await direct.DeleteAsync($"api/v1/machine-types/{directId}")) { }
    }

    [Fact]
    public async Task TheApiDescription_NamesThePrefixAsItsServer_AndItsPageLoads()
    {
        using var client = site.CreatePublicClient();

        var document = await client.GetFromJsonAsync<JsonObject>("openapi/v1.json");
        using var docs = await client.GetAsync("api/docs/");

        Assert.Equal("/kraut/", (string?)document!["servers"]![0]!["url"]);
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
    }

    [Fact]
    public async Task TheLiveConnection_AcceptsThePublicOrigin_ThroughTheProxy_AndRefusesAnother()
    {
        using var client = new HttpClient { BaseAddress = site.PublicAddress };

        using var own = await NegotiateAsync(client, $"http://127.0.0.1:{site.Nginx.Port}");
        using var foreign = await NegotiateAsync(client, "http://evil.example");

        Assert.NotEqual(HttpStatusCode.Forbidden, own.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Contains("Cross-origin request", await foreign.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task BehindATlsProxy_TheLiveConnection_JudgesByTheForwardedSchemeAndHost()
    {
        // A TLS-terminating proxy on another machine name: the portal only sees its forwarded headers (nginx here is
        // plain http on a loopback port, so this is sent straight from a trusted address).
        using var client = new HttpClient { BaseAddress = site.Portal.BaseAddress };
        static void Forwarded(HttpRequestMessage r)
        {
            r.Headers.Add("X-Forwarded-Proto", "https");
            r.Headers.Add("X-Forwarded-Host", "kraut.example.org");
        }

        using var https = await NegotiateAsync(client, "https://kraut.example.org", Forwarded);
        using var plain = await NegotiateAsync(client, "http://kraut.example.org", Forwarded);
        using var inner = await NegotiateAsync(client, $"http://127.0.0.1:{site.Portal.Port}", Forwarded);

        Assert.NotEqual(HttpStatusCode.Forbidden, https.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, plain.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, inner.StatusCode);
    }

    [Fact]
    public void TheReadme_ShowsTheNginxConfigurationTheseTestsUse()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));

        Assert.Contains(NginxProxy.UpgradeMap, readme);
        Assert.Contains(NginxProxy.Location("/kraut", "http://127.0.0.1:5000"), readme);
        Assert.Contains("--Web:PathBase=/kraut", readme);
        Assert.Contains("--Kraut:TrustedProxies:0=127.0.0.1", readme);
    }

    private static Task<HttpResponseMessage> NegotiateAsync(HttpClient client, string origin, Action<HttpRequestMessage>? more = null)
    {
        // Relative to the client's base: through nginx that is already /kraut/, straight to the portal it is the root.
        var under = client.BaseAddress!.AbsolutePath == "/" ? "kraut/" : "";
        var request = new HttpRequestMessage(HttpMethod.Post, under + "_blazor/negotiate?negotiateVersion=1");
        request.Headers.Add("Origin", origin);
        more?.Invoke(request);
        return client.SendAsync(request);
    }

    private static JsonObject MachineType(string name) => new()
    {
        ["name"] = Api.ApiClient.UniqueName("pathbase-" + name),
        ["spec"] = new JsonObject
        {
            ["architecture"] = "x86_64",
            ["vcpus"] = new JsonObject { ["default"] = 1, ["min"] = 1, ["max"] = 2 },
            ["memoryMiB"] = new JsonObject { ["default"] = 256, ["min"] = 256, ["max"] = 512 },
        },
    };
}
