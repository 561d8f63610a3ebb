using KrautPortal.Features.Api;
using Prometheus;

namespace KrautPortal.Features.Metrics;

/// <summary>
/// <c>GET /metrics</c>: the registry in Prometheus' text format, for callers <see cref="MetricsAccess"/> allows.
/// Outside the portal's sign-in (a scraper is no user, and its token is no API token): refusals are problem+json
/// without a single figure.
/// </summary>
public static class MetricsEndpoint
{
    public const string Path = "/metrics";
    private const string TextFormat = "text/plain; version=0.0.4; charset=utf-8";

    public static async Task ServeAsync(HttpContext http)
    {
        // Map("/metrics") also takes /metrics/anything.
        if (http.Request.Path.HasValue && http.Request.Path != "/")
        {
            await Refuse(http, StatusCodes.Status404NotFound, "Not found", "Metrics are served at /metrics only.");
            return;
        }
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
        {
            http.Response.Headers.Allow = "GET, HEAD";
            await Refuse(http, StatusCodes.Status405MethodNotAllowed, "Method not allowed", "Metrics are read with GET.");
            return;
        }
        switch (http.RequestServices.GetRequiredService<MetricsAccess>().Decide(http))
        {
            case MetricsAccess.Decision.WrongToken:
                http.Response.Headers.WWWAuthenticate = "Bearer realm=\"Kraut metrics\", error=\"invalid_token\"";
                await Refuse(http, StatusCodes.Status401Unauthorized, "Unauthorized",
                    "The bearer token is not the metrics token (Metrics:Token).");
                return;
            case MetricsAccess.Decision.NoCredentials:
                http.Response.Headers.WWWAuthenticate = "Bearer realm=\"Kraut metrics\"";
                await Refuse(http, StatusCodes.Status403Forbidden, "Forbidden",
                    "This address may not read the metrics: send Authorization: Bearer <Metrics:Token>, or add the address to Metrics:AllowFrom.");
                return;
        }
        var registry = http.RequestServices.GetRequiredService<KrautMetricsRegistry>().Registry;
        http.Response.ContentType = TextFormat;
        http.Response.Headers.CacheControl = "no-store";
        if (HttpMethods.IsHead(http.Request.Method)) return;
        await registry.CollectAndExportAsTextAsync(http.Response.Body, http.RequestAborted);
    }

    private static Task Refuse(HttpContext http, int status, string title, string detail) =>
        Problems.Result(Problems.Of(status, title, detail)).ExecuteAsync(http);
}
