namespace KrautPortal.Features.Web;

/// <summary>
/// Headers every response carries (API, pages, /api/docs, errors): no MIME sniffing, no referrer leaving the portal,
/// and no framing by another site (clickjacking). Set as the response starts, so error pages get them too.
/// </summary>
public static class SecurityHeaders
{
    public static void Apply(HttpResponse response)
    {
        var headers = response.Headers;
        headers.XContentTypeOptions = "nosniff";
        // same-origin, not no-referrer: no referrer leaves the portal either way, but with no-referrer Chromium sends
        // "Origin: null" on the portal's own form posts, and sign-out checks that Origin.
        headers["Referrer-Policy"] = "same-origin";
        headers.XFrameOptions = "DENY";
        // Only frame-ancestors: the pages' scripts and styles are not restricted by this policy.
        if (!headers.ContainsKey("Content-Security-Policy")) headers.ContentSecurityPolicy = "frame-ancestors 'none'";
    }
}
