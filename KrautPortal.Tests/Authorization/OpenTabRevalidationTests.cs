using System.Security.Claims;
using KrautPortal.Features.Auth;
using KrautPortal.Tests.Auth;
using KrautPortal.Tests.Support;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Authorization;

/// <summary>
/// An open portal tab (a Blazor circuit) signs in once, when it connects; afterwards it sends no cookie. These tests open
/// a circuit's services as the portal does (the principal the cookie gives, the circuit's authentication state provider,
/// its actor handler), end the session in the ways issue 9 lists, and watch the circuit lose its user within the
/// re-check interval (one second here), so its next action is refused.
/// </summary>
public sealed class OpenTabRevalidationTests(RemovedUserTests.Portal portal) : IClassFixture<RemovedUserTests.Portal>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>A circuit of a freshly signed-in user: its scope, and the first change of its authentication state.</summary>
    private sealed class Tab : IAsyncDisposable
    {
        private readonly AsyncServiceScope _scope;
        private readonly TaskCompletionSource<ClaimsPrincipal> _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private Tab(AsyncServiceScope scope) => _scope = scope;

        public IActorAccessor Actors => _scope.ServiceProvider.GetRequiredService<IActorAccessor>();

        public static async Task<Tab> OpenAsync(KrautAppFactory app, string cookie)
        {
            var tab = new Tab(app.Services.CreateAsyncScope());
            var services = tab._scope.ServiceProvider;
            // The user as the cookie gives it to the circuit's connection (with all of the cookie's own checks).
            var http = new DefaultHttpContext { RequestServices = services };
            http.Request.Headers.Cookie = "kraut.session=" + cookie;
            var signedIn = await http.AuthenticateAsync(LoginApi.CookieScheme);
            Assert.True(signedIn.Succeeded, signedIn.Failure?.Message);

            var provider = services.GetRequiredService<AuthenticationStateProvider>();
            ((IHostEnvironmentAuthenticationStateProvider)provider).SetAuthenticationState(Task.FromResult(new AuthenticationState(signedIn.Principal!)));
            foreach (var handler in services.GetServices<CircuitHandler>()) await handler.OnCircuitOpenedAsync(null!, CancellationToken.None);
            // After the circuit's own handlers: when this hears of a change, the circuit's actor has followed it.
            provider.AuthenticationStateChanged += async state => tab._changed.TrySetResult((await state).User);
            return tab;
        }

        /// <summary>The first state the circuit moves to after its sign-in.</summary>
        public Task<ClaimsPrincipal> NextStateAsync() => _changed.Task;

        public async ValueTask DisposeAsync() => await _scope.DisposeAsync();
    }

    private async Task<(string User, string Cookie, HttpClient Browser)> SignInAsync(string prefix)
    {
        var password = prefix + "-Pw-71";
        var user = portal.AddMember(prefix, password);
        var browser = PortalSignIn.Browser(portal.App);
        return (user, await PortalSignIn.SignInAsync(browser, user, password), browser);
    }

    /// <summary>Waits until the circuit's user is anonymous (the state the router answers with its sign-in redirect).</summary>
    private static async Task AssertSignedOutWithinTheIntervalAsync(Tab tab, Task<ClaimsPrincipal> change)
    {
        var principal = await change.WaitAsync(Patience);
        Assert.False(principal.Identity?.IsAuthenticated ?? false);
        var refused = Assert.Throws<UnauthenticatedException>(() => tab.Actors.Current);
        Assert.Contains("No signed-in user", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAdministratorEndingTheSessions_SignsTheOpenTabOut_WithinTheInterval()
    {
        var (user, cookie, browser) = await SignInAsync("tab-end");
        using var _ = browser;
        await using var tab = await Tab.OpenAsync(portal.App, cookie);
        Assert.Equal(user, tab.Actors.Current.Name);
        var change = tab.NextStateAsync();

        Assert.Equal(1, await portal.App.Services.GetRequiredService<SessionStore>().EndAllAsync(user, CancellationToken.None));

        await AssertSignedOutWithinTheIntervalAsync(tab, change);
    }

    [Fact]
    public async Task LoggingOutInAnotherTab_SignsThisTabOut()
    {
        var (_, cookie, browser) = await SignInAsync("tab-logout");
        using var __ = browser;
        await using var tab = await Tab.OpenAsync(portal.App, cookie);
        var change = tab.NextStateAsync();

        using var logout = await PortalSignIn.LogoutAsync(browser);
        Assert.Equal(System.Net.HttpStatusCode.Redirect, logout.StatusCode);

        await AssertSignedOutWithinTheIntervalAsync(tab, change);
    }

    [Fact]
    public async Task AUserRemovedFromThePasswordFile_IsSignedOutOfTheOpenTab()
    {
        var (user, cookie, browser) = await SignInAsync("tab-gone");
        using var _ = browser;
        await using var tab = await Tab.OpenAsync(portal.App, cookie);
        var change = tab.NextStateAsync();

        portal.Remove(user);

        await AssertSignedOutWithinTheIntervalAsync(tab, change);
    }

    [Fact]
    public async Task AUserTakenOutOfTheGroup_StaysSignedIn_ButTheOpenTabActsWithoutTheGroup()
    {
        var (user, cookie, browser) = await SignInAsync("tab-regroup");
        using var _ = browser;
        await using var tab = await Tab.OpenAsync(portal.App, cookie);
        Assert.Contains("team-r", tab.Actors.Current.Groups);
        var change = tab.NextStateAsync();

        portal.Remove(user, fromPasswords: false);

        var principal = await change.WaitAsync(Patience);
        Assert.Equal(user, principal.Identity?.Name);
        Assert.Equal(user, tab.Actors.Current.Name);
        Assert.DoesNotContain("team-r", tab.Actors.Current.Groups);
    }

    [Fact]
    public async Task ALiveSession_KeepsItsOpenTab_ThroughSeveralChecks()
    {
        var (user, cookie, browser) = await SignInAsync("tab-live");
        using var _ = browser;
        await using var tab = await Tab.OpenAsync(portal.App, cookie);
        var change = tab.NextStateAsync();

        await Task.Delay(TimeSpan.FromSeconds(3.5));

        Assert.False(change.IsCompleted, "the circuit's state changed although its session is alive");
        Assert.Equal(user, tab.Actors.Current.Name);
    }
}
