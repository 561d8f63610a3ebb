namespace KrautPortal.Components.Pages;

/// <summary>Which addresses belong to the portal's pages (answered as HTML) and which to programs (answered as problem+json).</summary>
public static class PortalPaths
{
    private static readonly string[] ForPrograms = ["/api", "/openapi", "/auth", "/_framework", "/_content", "/_blazor"];

    public static bool IsForPeople(HttpContext context) =>
        !ForPrograms.Any(p => context.Request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))
        && !Path.HasExtension(context.Request.Path.Value);
}
