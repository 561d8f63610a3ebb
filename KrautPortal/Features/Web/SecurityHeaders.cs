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
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        // Only frame-ancestors: the pages' scripts and styles are not restricted by this policy.
        if (!headers.ContainsKey("Content-Security-Policy")) headers.ContentSecurityPolicy = "frame-ancestors 'none'";
    }
}
