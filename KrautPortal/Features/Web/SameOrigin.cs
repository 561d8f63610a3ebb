namespace KrautPortal.Features.Web;

/// <summary>
/// Whether a browser request comes from a page of this portal: its Origin is the request's own scheme, host and port
/// (after trusted forwarded headers). Guards the Blazor hub (negotiate and WebSocket) and sign-out from other sites.
/// </summary>
public static class SameOrigin
{
    /// <summary>True when the request names no Origin (not a browser's cross-site request) or names this site.</summary>
    public static bool Allows(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0) return !IsCrossSiteFetch(request);
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var from)) return false;
        if (!Uri.TryCreate($"{request.Scheme}://{request.Host.Value}", UriKind.Absolute, out var self)) return false;
        return string.Equals(from.Scheme, self.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(from.IdnHost, self.IdnHost, StringComparison.OrdinalIgnoreCase)
            && from.Port == self.Port;
    }

    private static bool IsCrossSiteFetch(HttpRequest request) =>
        request.Headers["Sec-Fetch-Site"].ToString() is "cross-site" or "same-site";
}
