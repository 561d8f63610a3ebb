using System.Text.Encodings.Web;
using KrautPortal.Features.Api;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Auth;

/// <summary>
/// The API's authentication: the Authorization header and the request's details go, uninterpreted, to the
/// authenticator chain. Refusals are 401 problem+json saying why.
/// </summary>
public sealed class HeaderAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    AuthenticatorChain chain,
    AuthAudit audit,
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "KrautHeader";
    private const string DenialKey = "kraut:auth-denial";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var request = Describe(Request);
        var decision = await chain.DecideAsync(request, Context.RequestAborted);
        audit.RecordWhenComplete(Context, request, decision);
        var result = decision.Result;
        if (result is AuthResult.Allow allow) return AuthenticateResult.Success(new AuthenticationTicket(ActorClaims.ToPrincipal(allow.Actor, SchemeName), SchemeName));
        var reason = (result as AuthResult.Deny)?.Reason ?? "Not authenticated.";
        Context.Items[DenialKey] = reason;
        return AuthenticateResult.Fail(reason);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 401;
        Response.Headers.WWWAuthenticate = "Basic realm=\"Kraut\", Bearer realm=\"Kraut\"";
        return WriteProblemAsync(401, "Unauthorized", Context.Items[DenialKey] as string ?? "Send an Authorization header (Basic user:password, or Bearer <token>).");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 403;
        return WriteProblemAsync(403, "Forbidden", "You may not do this.");
    }

    private async Task WriteProblemAsync(int status, string title, string detail) =>
        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = Context, ProblemDetails = Problems.Of(status, title, detail) });

    /// <summary>The request's details for authenticators: /api/v1/{kind}/{id}/actions/{action}, and ?selector=.</summary>
    public static AuthRequest Describe(HttpRequest request)
    {
        var segments = request.Path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
        string? kind = segments.Length > 2 && segments[0] == "api" ? segments[2] : null;
        Guid? id = segments.Length > 3 && Guid.TryParse(segments[3], out var g) ? g : null;
        var actionAt = Array.IndexOf(segments, "actions");
        string? action = actionAt >= 0 && actionAt + 1 < segments.Length ? segments[actionAt + 1] : null;
        return new AuthRequest(
            request.Headers.Authorization.Count > 0 ? request.Headers.Authorization.ToString() : null,
            request.Method,
            request.Path.Value ?? "/",
            kind,
            id,
            request.Query["selector"].FirstOrDefault(),
            action,
            request.HttpContext.Connection.RemoteIpAddress?.ToString());
    }
}
