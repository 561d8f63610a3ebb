using KrautPortal.Features.Api;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Web;

/// <summary>The portal's HTTP front door: trusted forwarded headers, the path base, security headers, strict paths, same-origin hub.</summary>
public static class WebSetup
{
    /// <summary>First in the pipeline: everything after it sees the client's scheme and address, and a plain path.</summary>
    public static IApplicationBuilder UseKrautWeb(this IApplicationBuilder app)
    {
        app.UseTrustedProxies();
        var pathBase = PathBase.Read(app.ApplicationServices.GetRequiredService<IConfiguration>());
        if (pathBase.HasValue) app.UsePathBase(pathBase);
        // Routing after the path base, or it would match the prefixed path (WebApplication otherwise puts it first).
        app.UseRouting();
        return app.Use(async (http, next) =>
        {
            http.Response.OnStarting(() =>
            {
                SecurityHeaders.Apply(http.Response);
                PathBase.PrefixApiLocation(http);
                return Task.CompletedTask;
            });
            var raw = http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? "";
            if (StrictPaths.Problem(raw) is { } problem)
            {
                await Problems.Result(new BadRequestException("Invalid path", problem)).ExecuteAsync(http);
                return;
            }
            // Another site's page must not open a circuit on a visitor's session (cross-site WebSocket hijacking).
            if (http.Request.Path.StartsWithSegments("/_blazor") && !SameOrigin.Allows(http.Request))
            {
                await Problems.Result(Problems.Of(StatusCodes.Status403Forbidden, "Cross-origin request",
                    "The portal's live connection accepts only pages of the portal itself.")).ExecuteAsync(http);
                return;
            }
            await next(http);
        });
    }
}
