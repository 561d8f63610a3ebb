using Microsoft.AspNetCore.Diagnostics;

namespace KrautPortal.Components.Pages;

/// <summary>Which addresses belong to the portal's pages (answered as HTML) and which to programs (answered as problem+json).</summary>
public static class PortalPaths
{
    private static readonly string[] ForPrograms = ["/api", "/openapi", "/auth", "/_framework", "/_content", "/_blazor"];

    public static bool IsForPeople(HttpContext context) =>
        !ForPrograms.Any(p => context.Request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))
        && !Path.HasExtension(context.Request.Path.Value);

    /// <summary>
    /// People get the portal's NotFound page for an unknown address; programs (the API, sign-in posts, framework
    /// files) keep problem+json. Each status-code middleware keeps its own feature, so the inner one (the page) is
    /// switched off for programs' requests and the outer one answers them.
    /// </summary>
    public static void UseKrautStatusPages(this WebApplication app)
    {
        app.UseWhen(c => !IsForPeople(c), a => a.UseStatusCodePages());
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.Use((context, next) =>
        {
            if (!IsForPeople(context) && context.Features.Get<IStatusCodePagesFeature>() is { } pages) pages.Enabled = false;
            return next(context);
        });
    }
}
