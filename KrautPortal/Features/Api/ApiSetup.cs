using KrautPortal.Features.Store;
using Scalar.AspNetCore;

namespace KrautPortal.Features.Api;

public static class ApiSetup
{
    public static IServiceCollection AddKrautApi(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o => KrautJson.Configure(o.SerializerOptions));
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            // Routing refuses a body type an endpoint does not accept before the endpoint runs, with no detail;
            // give it the same sentence the endpoints' own check gives.
            if (c.ProblemDetails.Status == StatusCodes.Status415UnsupportedMediaType && c.ProblemDetails.Detail is null)
                c.ProblemDetails.Detail = new UnsupportedMediaTypeException(c.HttpContext.Request.ContentType ?? "").Detail;
        });
        services.AddExceptionHandler<ProblemHandler>();
        // Binding failures (e.g. ?limit=abc) become exceptions, so they reach the same problem+json handler.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((doc, context, _) =>
        {
            doc.Info.Title = "Kraut Computing API";
            doc.Info.Description = "Every object is a versioned JSON record: name, metadata (yours, free-form), spec (what you want) and status (what Kraut saw). " +
                "Writes take If-Match with the version; errors are application/problem+json.";
            // Not the request's Host header (anyone can send any): the API is where the document is, under the path
            // base the request came through (Web:PathBase behind a proxy).
            var http = context.ApplicationServices.GetService<IHttpContextAccessor>()?.HttpContext;
            doc.Servers = [new Microsoft.OpenApi.OpenApiServer { Url = (http?.Request.PathBase.Value ?? "") + "/" }];
            return Task.CompletedTask;
        }));
        return services;
    }

    public static void MapKrautApi(this WebApplication app)
    {
        // The description of the API is public; using it is not.
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapScalarApiReference("/api/docs", o => o.WithTitle("Kraut Computing API").WithOpenApiRoutePattern("/openapi/{documentName}.json")
            // Scalar's script comes from the package; its default fonts would come from fonts.scalar.com: an offline
            // installation uses the system's fonts instead.
            .DisableDefaultFonts()).AllowAnonymous();
    }
}
