using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.DataProtection;

namespace KrautPortal.Features.Auth;

public static class AuthSetup
{
    private const string Selector = "Kraut";
    public const string AdminPolicy = "admin";

    /// <summary>A password verifier, and the authenticator that reads it from a Basic header.</summary>
    private static void AddPasswordAuthenticator<TVerifier>(this IServiceCollection services) where TVerifier : class, IPasswordVerifier
    {
        services.AddSingleton<TVerifier>();
        services.AddSingleton<IAuthenticator>(sp => ActivatorUtilities.CreateInstance<BasicAuthenticator>(sp, sp.GetRequiredService<TVerifier>()));
    }

    public const string PortalHeader = "X-Kraut-Portal";

    private static string SelectScheme(HttpContext http)
    {
        if (http.Request.Headers.Authorization.Count > 0) return HeaderAuthenticationHandler.SchemeName;
        if (http.Request.Path.StartsWithSegments("/api") && !http.Request.Headers.ContainsKey(PortalHeader)) return HeaderAuthenticationHandler.SchemeName;
        return LoginApi.CookieScheme;
    }

    public static IServiceCollection AddKrautAuth(this IServiceCollection services, IConfiguration config, KrautPaths paths)
    {
        services.Configure<AuthOptions>(config.GetSection("Auth"));
        services.PostConfigure<AuthOptions>(o => InitialAdmin.ConfigureDefaults(o, paths));
        // Keys in the data directory: sign-ins and OTP secrets survive restarts.
        services.AddDataProtection().SetApplicationName("Kraut").PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(paths.Root, "keys")));
        services.AddHttpContextAccessor();
        services.AddScoped<RequestActorAccessor>();
        services.AddScoped<IActorAccessor>(sp => sp.GetRequiredService<RequestActorAccessor>());
        services.AddScoped<CircuitHandler, CircuitActorHandler>();
        // Before AddRazorComponents, which only adds its own provider when none is registered.
        services.AddScoped<AuthenticationStateProvider, CircuitRevalidation>();
        services.AddScoped<Authorizer>();
        services.AddScoped<IKindAuthorizer>(sp => sp.GetRequiredService<Authorizer>());
        services.AddScoped<OtpService>();
        services.AddScoped<UserDirectory>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<PasswordChecks>();
        services.AddSingleton<RoleMapper>();
        services.AddSingleton<AuthAudit>();
        services.AddHostedService(sp => sp.GetRequiredService<AuthAudit>());
        services.AddSingleton<AuthenticatorChain>();
        services.AddSingleton<IdentityCheck>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<AuthHousekeeping>();
        services.AddHostedService(sp => sp.GetRequiredService<AuthHousekeeping>());
        services.AddOptions<CookieAuthenticationOptions>(LoginApi.CookieScheme).Configure<SessionStore>((o, sessions) => o.SessionStore = sessions);

        services.AddSingleton<IAuthenticator, GodTokenAuthenticator>();
        services.AddPasswordAuthenticator<Htpasswd.HtpasswdVerifier>();
        services.AddPasswordAuthenticator<Ldap.LdapVerifier>();
        services.AddHttpClient<WebhookAuthenticator>();
        services.AddSingleton<IAuthenticator>(sp => sp.GetRequiredService<WebhookAuthenticator>());

        services.AddAuthentication(Selector)
            .AddPolicyScheme(Selector, "API header or portal cookie", o =>
                // The API reads the header. The portal's own scripts (browser uploads) may call it with the session
                // cookie, but only with the X-Kraut-Portal header: another site cannot send that header (CORS), so no
                // cross-site request rides on a session. A page request carrying a header is judged by it too.
                o.ForwardDefaultSelector = SelectScheme)
            .AddScheme<AuthenticationSchemeOptions, HeaderAuthenticationHandler>(HeaderAuthenticationHandler.SchemeName, null)
            .AddCookie(LoginApi.CookieScheme, o =>
            {
                o.LoginPath = "/login";
                o.LogoutPath = "/auth/logout";
                o.AccessDeniedPath = "/login";
                o.Cookie.Name = "kraut.session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
                o.SlidingExpiration = true;
                o.Events.OnSigningIn = SessionValidation.SigningInAsync;
                o.Events.OnValidatePrincipal = SessionValidation.ValidatePrincipalAsync;
            });
        // Nothing is anonymous unless it says so (the login pages, static files, the API description).
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(AdminPolicy, p => p.RequireAuthenticatedUser().RequireClaim(ActorClaims.AdminClaim, "true"));
        services.AddCascadingAuthenticationState();
        return services;
    }
}
