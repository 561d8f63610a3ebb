using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace KrautPortal.Features.Api;

/// <summary>Turns exceptions into RFC 9457 problem+json through <see cref="Problems"/>; anything else is an honest 500.</summary>
public sealed class ProblemHandler(IProblemDetailsService problems, ILogger<ProblemHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        // A 412's ETag would be stripped here (the middleware clears cache headers); ResourceApi answers 412 itself.
        var details = Problems.For(exception);
        if (details is null)
        {
            logger.LogError(exception, "Unhandled error for {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
            details = Problems.Internal();
        }
        httpContext.Response.StatusCode = details.Status ?? 500;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = details, Exception = exception });
    }
}
