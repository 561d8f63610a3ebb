using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace KrautPortal.Features.Api;

/// <summary>Turns Kraut's own exceptions into RFC 9457 problem+json; anything else is an honest 500.</summary>
public sealed class ProblemHandler(IProblemDetailsService problems, ILogger<ProblemHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        ProblemDetails details;
        switch (exception)
        {
            case ValidationException v:
                details = new HttpValidationProblemDetails(v.Errors.ToDictionary(e => e.Key, e => e.Value))
                {
                    Status = v.Status, Title = v.Title, Detail = v.Detail,
                };
                break;
            case KrautProblemException p:
                // A 412's ETag would be stripped here (the middleware clears cache headers); ResourceApi answers 412 itself.
                details = new ProblemDetails { Status = p.Status, Title = p.Title, Detail = p.Detail };
                break;
            case BadHttpRequestException b:
                details = new ProblemDetails { Status = b.StatusCode, Title = "Bad request", Detail = b.Message };
                break;
            default:
                logger.LogError(exception, "Unhandled error for {Method} {Path}", context.Request.Method, context.Request.Path);
                details = new ProblemDetails { Status = 500, Title = "Internal error", Detail = "Something went wrong inside Kraut; the log has the details." };
                break;
        }
        context.Response.StatusCode = details.Status ?? 500;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = details, Exception = exception });
    }
}
