using System.Net;
using System.Net.Http.Headers;

namespace KrautPortal.Tests.Metrics;

/// <summary>Who may read /metrics: the token, or an allowed address (the real client's, never a header's claim).</summary>
public sealed class MetricsAccessTests(TokenMetricsPortal portal) : IClassFixture<TokenMetricsPortal>
{
    [Fact]
    public async Task NoToken_FromAnAddressNotAllowed_Is403ProblemJson_WithoutFigures()
    {
        var (status, type, body) = await MetricsAsync(portal.BaseAddress);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("application/problem+json", type);
        Assert.Contains("Metrics:AllowFrom", body);
        Assert.DoesNotContain("kraut_", body);
    }

    [Fact]
    public async Task WrongToken_Is401_WithoutFigures()
    {
        var (status, type, body) = await MetricsAsync(portal.BaseAddress, bearer: TokenMetricsPortal.Token + "x");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("application/problem+json", type);
        Assert.DoesNotContain("kraut_", body);
    }

    [Fact]
    public async Task AnApiToken_IsNoMetricsToken()
    {
        var (status, _, _) = await MetricsAsync(portal.BaseAddress, bearer: Support.TestCredentials.GodToken);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task TheToken_IsAccepted_AndTheAnswerIsPrometheusText()
    {
        var (status, type, body) = await MetricsAsync(portal.BaseAddress, bearer: TokenMetricsPortal.Token);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/plain", type);
        Assert.Contains("# TYPE kraut_objects gauge", body);
        Assert.Contains("kraut_reconcile_queue_length{reconciler=\"VmReconciler\"}", body);
    }

    [Fact]
    public async Task ForwardedFor_NamingAnAllowedAddress_FromAnUntrustedSender_IsIgnored()
    {
        var (status, _, body) = await MetricsAsync(portal.BaseAddress, forwardedFor: "192.0.2.7");

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.DoesNotContain("kraut_", body);
    }

    internal static async Task<(HttpStatusCode Status, string? Type, string Body)> MetricsAsync(Uri portal, string? bearer = null, string? forwardedFor = null)
    {
        using var http = new HttpClient { BaseAddress = portal, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (forwardedFor is not null) request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }
}

/// <summary>Behind a trusted proxy the client it names is judged; with no token configured no token opens the door.</summary>
public sealed class ProxiedMetricsAccessTests(ProxiedMetricsPortal portal) : IClassFixture<ProxiedMetricsPortal>
{
    [Fact]
    public async Task FromLoopback_WithoutToken_IsAllowedByDefault()
    {
        var (status, _, body) = await MetricsAccessTests.MetricsAsync(portal.BaseAddress);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("kraut_objects", body);
    }

    [Fact]
    public async Task ThroughTheTrustedProxy_ARemoteClient_IsRefused()
    {
        var (status, _, body) = await MetricsAccessTests.MetricsAsync(portal.BaseAddress, forwardedFor: "198.51.100.7");

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.DoesNotContain("kraut_", body);
    }

    [Fact]
    public async Task WithNoTokenConfigured_AnyToken_IsRefused()
    {
        var (status, _, _) = await MetricsAccessTests.MetricsAsync(portal.BaseAddress, bearer: "anything");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }
}
