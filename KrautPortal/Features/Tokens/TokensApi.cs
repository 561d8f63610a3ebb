using KrautPortal.Features.Api;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Tokens;

/// <summary>Tokens share the common endpoints, except creation, whose answer is the only place the secret appears.</summary>
public static class TokensApi
{
    public static void MapTokens(this IEndpointRouteBuilder app)
    {
        var group = app.MapResourceApi<TokenSpec, TokenStatus>(Kinds.Tokens, mapCreate: false);
        group.MapPost("/", CreateAsync).WithName("CreateTokens")
            .WithSummary("Create a limited-scope token; the answer holds its secret, shown this once.").Accepts<ResourceInput<TokenSpec>>("application/json");
    }

    public static async Task<Created<CreatedToken>> CreateAsync(TokenService tokens, HttpContext http, CancellationToken ct)
    {
        var input = RequestBody.ToInput<TokenSpec>(await JsonBodyReader.ReadObjectAsync(http.Request, ct));
        var created = await tokens.CreateAsync(input, ct);
        http.Response.Headers.ETag = ETags.For(created.Token.Version);
        return TypedResults.Created($"/api/v1/tokens/{created.Token.Id}", created);
    }
}
