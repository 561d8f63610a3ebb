using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Support;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Api;

/// <summary>A portal on real Kestrel (whose path normalisation is part of the attack), trusting 127.0.0.1 as a proxy when asked to.</summary>
public class KestrelPortal : IDisposable
{
    public KestrelPortal() : this(new Dictionary<string, string?>()) { }

    protected KestrelPortal(IDictionary<string, string?> settings)
    {
        App = new KrautAppFactory(settings: settings);
        App.UseKestrel(0);
        App.StartServer();
        BaseAddress = new Uri(App.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        Http = App.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = BaseAddress, AllowAutoRedirect = false, HandleCookies = false });
        Api = new KrautApi(Http);
    }

    public KrautAppFactory App { get; }
    public Uri BaseAddress { get; }
    public HttpClient Http { get; }
    public KrautApi Api { get; }

    /// <summary>The admin's password that first run wrote (the built-in htpasswd).</summary>
    public string AdminPassword => File.ReadAllText(Path.Combine(App.DataDirectory, KrautPortal.Features.Auth.InitialAdmin.PasswordFile)).Trim();

    /// <summary>Sends exactly these bytes as the request line and headers (no client-side path clean-up); returns the status and headers.</summary>
    public async Task<(int Status, string Head)> SendRawAsync(string method, string target, params string[] headers)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(BaseAddress.Host, BaseAddress.Port);
        var stream = tcp.GetStream();
        var request = new StringBuilder($"{method} {target} HTTP/1.1\r\nHost: {BaseAddress.Authority}\r\nAuthorization: {TestCredentials.GodHeader}\r\n");
        foreach (var header in headers) request.Append(header).Append("\r\n");
        request.Append("Content-Length: 0\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var response = await reader.ReadToEndAsync();
        var head = response.Split("\r\n\r\n", 2)[0];
        return (int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), head);
    }

    public void Dispose()
    {
        Http.Dispose();
        App.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Ids in paths, the OpenAPI document's servers and the headers every response carries.</summary>
public sealed class PathAndHeaderTests(KestrelPortal portal) : IClassFixture<KestrelPortal>
{
    [Theory]
    [InlineData("%2e%2e")]
    [InlineData("%2E%2e")]
    [InlineData(".%2e")]
    [InlineData("..")]
    [InlineData("%2e%2e/")]
    [InlineData("x/%2e%2e/%2e%2e")]
    [InlineData("%2e")]
    [InlineData("x%2f..")]
    [InlineData("x%5c..")]
    public async Task DeleteNic_WithADotSegmentAsItsId_Is400_AndTheVmIsNotTouched(string nicId)
    {
        var id = await portal.Api.CreateVmAsync(ApiClient.UniqueName("dots"));
        var before = await VersionAsync(id);

        var (status, head) = await portal.SendRawAsync("DELETE", $"/api/v1/vms/{id}/nics/{nicId}");

        Assert.True(status == 400, head);
        Assert.Equal(before, await VersionAsync(id));
    }

    [Fact]
    public async Task AnEncodedSlash_CannotReachAnotherEndpoint()
    {
        var id = await portal.Api.CreateVmAsync(ApiClient.UniqueName("slash"));

        var (status, head) = await portal.SendRawAsync("DELETE", $"/api/v1/vms/{id}%2Fnics%2Fx");

        Assert.True(status == 400, head);
        Assert.Equal(HttpStatusCode.OK, (await portal.Http.GetAsync($"/api/v1/vms/{id}")).StatusCode);
    }

    [Theory]
    [InlineData("{0:N}")]
    [InlineData("{{{0}}}")]
    [InlineData("({0})")]
    [InlineData("%20{0}")]
    public async Task AnIdNotSpelledCanonically_Is400_AndChangesNothing(string spelling)
    {
        var id = await portal.Api.CreateVmAsync(ApiClient.UniqueName("spelling"));
        var raw = string.Format(System.Globalization.CultureInfo.InvariantCulture, spelling, id);

        var (status, head) = await portal.SendRawAsync("DELETE", $"/api/v1/vms/{raw}");

        Assert.True(status == 400, head);
        Assert.Equal(HttpStatusCode.OK, (await portal.Http.GetAsync($"/api/v1/vms/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await portal.Http.GetAsync($"/api/v1/vms/{id.ToString().ToUpperInvariant()}")).StatusCode);
    }

    [Fact]
    public async Task OpenApiDocument_DoesNotEchoTheHostHeader()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
        request.Headers.Host = "attacker.example";

        using var response = await portal.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("attacker.example", body, StringComparison.Ordinal);
        var servers = JsonNode.Parse(body)!["servers"]?.AsArray() ?? [];
        Assert.All(servers, s => Assert.Equal("/", (string?)s!["url"]));
    }

    [Theory]
    [InlineData("/api/v1/vms", true)]
    [InlineData("/api/v1/vms", false)]
    [InlineData("/api/v1/no-such-kind", true)]
    [InlineData("/api/docs", false)]
    [InlineData("/openapi/v1.json", false)]
    [InlineData("/login", false)]
    [InlineData("/vms", false)]
    [InlineData("/api/v1/vms/%2e%2e", true)]
    public async Task EveryResponse_CarriesTheSecurityHeaders(string path, bool signedIn)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (!signedIn) request.Headers.Authorization = null;
        using var client = signedIn ? null : new HttpClient { BaseAddress = portal.BaseAddress };

        using var response = await (client ?? portal.Http).SendAsync(request);

        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("same-origin", Header(response, "Referrer-Policy"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        Assert.Contains("frame-ancestors 'none'", Header(response, "Content-Security-Policy"), StringComparison.Ordinal);
    }

    /// <summary>The VM's version: unchanged means untouched (a delete marks it, a NIC change bumps it).</summary>
    private async Task<long> VersionAsync(Guid id)
    {
        using var response = await portal.Http.GetAsync($"/api/v1/vms/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (long)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["version"]!;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(", ", values) : null;
}

/// <summary>Signing in and out over plain HTTP as the browser's form does: antiforgery token, cookie, redirects.</summary>
public sealed partial class SignInFormTests(KestrelPortal portal) : IClassFixture<KestrelPortal>
{
    [Theory]
    [InlineData("/vms\n")]
    [InlineData("/vms\tx")]
    [InlineData("/vms\r\nSet-Cookie: x=y")]
    [InlineData("/\t/evil.example")]
    [InlineData("/\\evil.example")]
    [InlineData("https://evil.example/")]
    public async Task SignIn_WithAReturnUrlThatIsNoPlainLocalPath_GoesHome(string returnUrl)
    {
        using var form = await SignInForm.OpenAsync(portal.BaseAddress);

        using var response = await form.SignInAsync(KrautPortal.Features.Auth.InitialAdmin.User, portal.AdminPassword, returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task SignIn_WithAPlainReturnUrl_GoesThere()
    {
        using var form = await SignInForm.OpenAsync(portal.BaseAddress);

        using var response = await form.SignInAsync(KrautPortal.Features.Auth.InitialAdmin.User, portal.AdminPassword, "/vms?selector=env%3Dprod");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/vms?selector=env%3Dprod", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task SignOut_FromAnotherSite_IsRefused_AndTheSessionLives_FromThePortalsOwnForm_ItEnds()
    {
        using var form = await SignInForm.OpenAsync(portal.BaseAddress);
        using (var signedIn = await form.SignInAsync(KrautPortal.Features.Auth.InitialAdmin.User, portal.AdminPassword, "/"))
        {
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        }
        Assert.True(await form.IsSignedInAsync());

        // What a page on another site can send: a form POST with the visitor's cookies, but neither the token nor our Origin.
        using (var crossSite = await form.PostAsync("/auth/logout", [], origin: "https://evil.example", withToken: false))
        {
            Assert.Equal(HttpStatusCode.BadRequest, crossSite.StatusCode);
        }
        using (var noToken = await form.PostAsync("/auth/logout", [], origin: portal.BaseAddress.GetLeftPart(UriPartial.Authority), withToken: false))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
        }
        Assert.True(await form.IsSignedInAsync());

        using var own = await form.PostAsync("/auth/logout", [], origin: portal.BaseAddress.GetLeftPart(UriPartial.Authority), withToken: true);
        Assert.Equal(HttpStatusCode.Redirect, own.StatusCode);
        Assert.False(await form.IsSignedInAsync());
    }

    [Theory]
    [InlineData("https://evil.example", 403)]
    [InlineData("http://localhost.evil.example", 403)]
    [InlineData("null", 403)]
    [InlineData("self", 200)]
    public async Task BlazorHubNegotiate_AcceptsOnlyThePortalsOwnOrigin(string origin, int expected)
    {
        using var form = await SignInForm.OpenAsync(portal.BaseAddress);
        using (await form.SignInAsync(KrautPortal.Features.Auth.InitialAdmin.User, portal.AdminPassword, "/"))
        {
        }
        var from = origin == "self" ? portal.BaseAddress.GetLeftPart(UriPartial.Authority) : origin;

        using var response = await form.PostAsync("/_blazor/negotiate?negotiateVersion=1", [], origin: from, withToken: false);

        Assert.Equal(expected, (int)response.StatusCode);
    }

    [Fact]
    public async Task BlazorHubWebSocket_FromAnotherOrigin_IsRefused()
    {
        using var form = await SignInForm.OpenAsync(portal.BaseAddress);
        using (await form.SignInAsync(KrautPortal.Features.Auth.InitialAdmin.User, portal.AdminPassword, "/"))
        {
        }
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", "https://evil.example");
        socket.Options.SetRequestHeader("Cookie", form.CookieHeader);
        var ws = new UriBuilder(portal.BaseAddress) { Scheme = "ws", Path = "/_blazor" }.Uri;

        var refused = await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => socket.ConnectAsync(ws, CancellationToken.None));

        Assert.Contains("403", refused.Message, StringComparison.Ordinal);
    }
}

/// <summary>A proxy the portal trusts (127.0.0.1, where the tests connect from) terminates TLS: X-Forwarded-Proto counts.</summary>
public sealed class TrustedProxyPortal() : KestrelPortal(new Dictionary<string, string?> { ["Kraut:TrustedProxies:0"] = "127.0.0.0/8" });

public sealed class ForwardedHeaderTests(TrustedProxyPortal trusted) : IClassFixture<TrustedProxyPortal>
{
    [Fact]
    public async Task BehindATrustedTlsProxy_TheSessionCookieIsSecure()
    {
        using var form = await SignInForm.OpenAsync(trusted.BaseAddress);

        using var response = await form.SignInAsync(KrautPortal.Features.Auth.InitialAdmin.User, trusted.AdminPassword, "/", "X-Forwarded-Proto: https");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("; secure", PortalSignIn.SetSessionCookie(response), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task FromAnUntrustedAddress_XForwardedProtoIsIgnored()
    {
        using var untrusted = new KestrelPortal();
        using var form = await SignInForm.OpenAsync(untrusted.BaseAddress);

        using var response = await form.SignInAsync(KrautPortal.Features.Auth.InitialAdmin.User, untrusted.AdminPassword, "/", "X-Forwarded-Proto: https");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.DoesNotContain("; secure", PortalSignIn.SetSessionCookie(response), StringComparison.OrdinalIgnoreCase);
    }

}

/// <summary>The login form as a browser on another machine uses it (real sockets): the page's antiforgery token and cookie, then the POST.</summary>
public sealed class SignInForm : IDisposable
{
    private readonly HttpClient _http;
    private readonly CookieContainer _cookies = new();
    private readonly Uri _base;
    private string _token = "";

    private SignInForm(Uri baseAddress)
    {
        _base = baseAddress;
        _http = new HttpClient(new HttpClientHandler { CookieContainer = _cookies, AllowAutoRedirect = false }) { BaseAddress = baseAddress };
    }

    public string CookieHeader => _cookies.GetCookieHeader(_base);

    public static async Task<SignInForm> OpenAsync(Uri baseAddress)
    {
        var form = new SignInForm(baseAddress);
        await form.ReadTokenAsync("/login");
        return form;
    }

    private async Task ReadTokenAsync(string page) => _token = await PortalSignIn.RequiredTokenAsync(_http, page);

    public Task<HttpResponseMessage> SignInAsync(string user, string password, string returnUrl, string? extraHeader = null) =>
        PostAsync("/auth/login", new() { ["user"] = user, ["password"] = password, ["returnUrl"] = returnUrl }, origin: null, withToken: true, extraHeader);

    public async Task<HttpResponseMessage> PostAsync(string path, Dictionary<string, string> fields, string? origin, bool withToken, string? extraHeader = null)
    {
        if (withToken && path == "/auth/logout") await ReadTokenAsync("/profile");
        if (withToken) fields["__RequestVerificationToken"] = _token;
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(fields) };
        if (origin is not null) request.Headers.TryAddWithoutValidation("Origin", origin);
        if (extraHeader is not null)
        {
            var (name, value) = (extraHeader.Split(':', 2)[0], extraHeader.Split(':', 2)[1].Trim());
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return await _http.SendAsync(request);
    }

    public async Task<bool> IsSignedInAsync()
    {
        using var request = PortalSignIn.ApiRequest(HttpMethod.Get, "/api/v1/vms?limit=1");
        using var response = await _http.SendAsync(request);
        return response.StatusCode == HttpStatusCode.OK;
    }

    public void Dispose() => _http.Dispose();
}
