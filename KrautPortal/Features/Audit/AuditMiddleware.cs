using System.Diagnostics;
using KrautPortal.Features.Api;
using KrautPortal.Features.Auth;
using Microsoft.AspNetCore.Routing.Patterns;

namespace KrautPortal.Features.Audit;

/// <summary>
/// Records every API call that means to change something (any method but GET, HEAD and OPTIONS under /api), refused
/// and failed ones included, once its answer is complete. It sits after routing and before the exception handler, so it
/// knows the endpoint and sees the final status whether the handler answered or threw.
/// </summary>
public sealed class AuditMiddleware(RequestDelegate next, AuditWriter writer, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (!Records(http.Request))
        {
            await next(http);
            return;
        }
        var at = time.GetUtcNow().UtcDateTime;
        var started = Stopwatch.GetTimestamp();
        // Now: the exception handler clears the endpoint before it writes a problem.
        var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern;
        var values = new RouteValueDictionary(http.Request.RouteValues);
        var original = http.Request.Body;
        var json = AuditParameters.IsJson(http.Request.ContentType);
        var body = new CapturingStream(original, json ? JsonBodyReader.MaxBytes : 0);
        http.Request.Body = body;
        var threw = false;
        try
        {
            await next(http);
        }
        catch
        {
            threw = true;
            throw;
        }
        finally
        {
            http.Request.Body = original;
            if (!threw && !http.RequestAborted.IsCancellationRequested)
            {
                try
                {
                    await body.DrainAsync(http.RequestAborted);
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException or BadHttpRequestException)
                {
                    // The rest of the body could not be read; what was read is recorded as incomplete.
                }
            }
            writer.Write(Entry(http, at, Stopwatch.GetElapsedTime(started), route, values, body, threw));
        }
    }

    public static bool Records(HttpRequest request) =>
        !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
        && request.Path.StartsWithSegments("/api");

    private static AuditEntryRow Entry(HttpContext http, DateTime at, TimeSpan elapsed, RoutePattern? route, RouteValueDictionary values, CapturingStream body, bool threw)
    {
        var actor = ActorClaims.FromPrincipal(http.User);
        var status = threw ? StatusCodes.Status500InternalServerError : http.Response.StatusCode;
        var template = route is null ? null : Template(route);
        var kind = route is null ? null : Kind(route);
        return new AuditEntryRow
        {
            At = at,
            User = Cut(actor is null ? null : actor.Scope?.Person ?? actor.Name, 200),
            Who = Cut(actor?.RecordedAs, 300),
            Via = Cut(actor?.Via, 100),
            TokenId = actor?.Scope?.TokenId,
            RemoteAddress = Cut(http.Connection.RemoteIpAddress?.ToString(), 64),
            Method = Cut(http.Request.Method, 16)!,
            Route = Cut(template, 300),
            Path = Cut(http.Request.Path.Value + MaskedQuery(http.Request.Query), 500)!,
            Kind = Cut(kind, 40),
            ObjectId = ObjectId(values, http.Response),
            Action = Cut(route is null ? null : Action(http.Request.Method, route, values), 100),
            Status = status,
            Outcome = threw || status >= 500 || http.RequestAborted.IsCancellationRequested ? "failed" : status >= 400 ? "refused" : "ok",
            DurationMs = Math.Round(elapsed.TotalMilliseconds, 3),
            Parameters = AuditParameters.Describe(http.Request.ContentType, Math.Max(body.Bytes, http.Request.ContentLength ?? 0),
                body.Captured, body.Ended && !body.Overflowed),
            Hash = "",
        };
    }

    /// <summary>The template as the OpenAPI document writes it: <c>/api/v1/vms/{id}/history/{version}</c>, constraints left out.</summary>
    public static string Template(RoutePattern route) =>
        "/" + string.Join('/', route.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
        {
            RoutePatternLiteralPart l => l.Content,
            RoutePatternParameterPart a => "{" + a.Name + "}",
            RoutePatternSeparatorPart sep => sep.Content,
            _ => "",
        }))));

    /// <summary>The first literal segment after /api/v1: the kind (<c>vms</c>), or the area (<c>profile</c>, <c>consoles</c>).</summary>
    private static string? Kind(RoutePattern route)
    {
        var literals = route.PathSegments.Select(s => s.IsSimple && s.Parts[0] is RoutePatternLiteralPart l ? l.Content : null).ToList();
        var start = literals.Count > 1 && literals[0] == "api" && literals[1] == "v1" ? 2 : 1;
        return literals.Count > start ? literals[start] : null;
    }

    /// <summary>
    /// The route's own action (<c>start</c>), else for a POST below an object the sub-resource it names (<c>revert</c>,
    /// <c>import</c>, <c>nics</c>), else the verb of the method, with the sub-resource when there is one.
    /// </summary>
    private static string Action(string method, RoutePattern route, RouteValueDictionary values)
    {
        if (values.TryGetValue("action", out var named) && named is string { Length: > 0 } action) return action;
        var segments = route.PathSegments;
        var firstParameter = segments.ToList().FindIndex(s => s.Parts.Any(p => p is RoutePatternParameterPart));
        var sub = firstParameter < 0 ? null : segments.Skip(firstParameter + 1)
            .Select(s => s.IsSimple && s.Parts[0] is RoutePatternLiteralPart l ? l.Content : null).LastOrDefault(l => l is not null);
        var verb = method.ToUpperInvariant() switch
        {
            "POST" => "create",
            "PUT" => "replace",
            "PATCH" => "update",
            "DELETE" => "delete",
            var other => other.ToLowerInvariant(),
        };
        if (sub is null)
        {
            // /api/v1/profile/ssh-keys: the literal after the area names what is made.
            var literals = segments.Select(s => s.IsSimple && s.Parts[0] is RoutePatternLiteralPart l ? l.Content : null).ToList();
            var trailing = firstParameter < 0 ? literals.LastOrDefault() : literals.ElementAtOrDefault(firstParameter - 1);
            var kind = Kind(route);
            return trailing is not null && trailing != kind ? $"{verb} {trailing}" : verb;
        }
        return HttpMethods.IsPost(method) ? sub : $"{verb} {sub}";
    }

    /// <summary>The object the call was about: the route's id, else what a create answered with (Location).</summary>
    private static Guid? ObjectId(RouteValueDictionary values, HttpResponse response)
    {
        foreach (var key in new[] { "id", "sessionId" })
            if (values.TryGetValue(key, out var raw) && raw is string text && Guid.TryParseExact(text, "D", out var id)) return id;
        var location = response.Headers.Location.ToString();
        var last = location.Split('?')[0].TrimEnd('/').Split('/').LastOrDefault();
        return location.Contains("/api/", StringComparison.Ordinal) && Guid.TryParseExact(last, "D", out var created) ? created : null;
    }

    /// <summary>The query string (a bulk action's selector is a parameter too), secret-looking values masked like the body's.</summary>
    private static string MaskedQuery(IQueryCollection query) => query.Count == 0 ? ""
        : "?" + string.Join('&', query.SelectMany(p => p.Value.Select(v =>
            Uri.EscapeDataString(p.Key) + "=" + (AuditParameters.IsSecretKey(p.Key) ? AuditParameters.Mask : Uri.EscapeDataString(v ?? "")))));

    private static string? Cut(string? value, int max) => value is null || value.Length <= max ? value : value[..max];
}
