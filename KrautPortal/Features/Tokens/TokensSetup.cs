using KrautPortal.Features.Auth;

namespace KrautPortal.Features.Tokens;

/// <summary>Tokens plug into Auth: their authenticator joins the chain (as <c>token</c> in <c>Auth:Chain</c>); Auth does not know them.</summary>
public static class TokensSetup
{
    public static IServiceCollection AddKrautTokens(this IServiceCollection services)
    {
        services.AddSingleton<IAuthenticator, ScopedTokenAuthenticator>();
        services.AddScoped<TokenService>();
        services.AddSingleton<TokenVerbs>();
        return services;
    }
}
