using Bunit;
using Bunit.Rendering;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Auth.Pages;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Support;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace KrautPortal.Tests.Portal;

/// <summary>The admin page "Users and sign-ins": paging through every decision, and ending a user's sessions.</summary>
public sealed class AdminPageTests(PortalApp app) : PortalTestContext(app.Services), IClassFixture<PortalApp>
{
    /// <summary>A portal of its own: the paging test replaces the whole audit table.</summary>
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private IRenderedComponent<ContainerFragment> RenderAdmin() => RenderWithPopovers(b => { b.OpenComponent<Admin>(0); b.CloseComponent(); });

    private static List<string> Whos(IRenderedComponent<ContainerFragment> cut) =>
        cut.FindAll("[data-testid=auth-events] tbody tr").Select(r => r.QuerySelector("td:nth-child(2)")!.TextContent.Trim()).ToList();

    private static bool Disabled(IRenderedComponent<ContainerFragment> cut, string testId) => cut.Find($"button[data-testid={testId}]").HasAttribute("disabled");

    private static List<string> Range(int from, int downTo) => Enumerable.Range(downTo, from - downTo + 1).Reverse().Select(i => $"pager-{i:000}").ToList();

    [Fact]
    public async Task OlderAndNewer_PageThroughEveryDecision_AHundredAtATime_AndBack()
    {
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
            await db.AuthEvents.ExecuteDeleteAsync();
            var start = DateTime.UtcNow.AddHours(-1);
            db.AuthEvents.AddRange(Enumerable.Range(0, 230).Select(i => new AuthEventRow
            {
                At = start.AddSeconds(i), Who = $"pager-{i:000}", Via = "htpasswd", Decision = i % 2 == 0 ? "allow" : "deny", Method = "GET", Path = "/api/v1/vms",
            }));
            await db.SaveChangesAsync();
        }

        var cut = RenderAdmin();
        cut.WaitForAssertion(() => Assert.Equal("230 in all", cut.Find("[data-testid=auth-events-total]").TextContent.Trim()), Wait);
        Assert.Equal(Range(229, 130), Whos(cut));
        Assert.True(Disabled(cut, "auth-events-newer"));

        cut.Find("button[data-testid=auth-events-older]").Click();
        cut.WaitForAssertion(() => Assert.Equal(Range(129, 30), Whos(cut)), Wait);
        Assert.False(Disabled(cut, "auth-events-newer"));

        cut.Find("button[data-testid=auth-events-older]").Click();
        cut.WaitForAssertion(() => Assert.Equal(Range(29, 0), Whos(cut)), Wait);
        Assert.True(Disabled(cut, "auth-events-older"));

        cut.Find("button[data-testid=auth-events-newer]").Click();
        cut.WaitForAssertion(() => Assert.Equal(Range(129, 30), Whos(cut)), Wait);
        cut.Find("button[data-testid=auth-events-newer]").Click();
        cut.WaitForAssertion(() => Assert.Equal(Range(229, 130), Whos(cut)), Wait);
        Assert.True(Disabled(cut, "auth-events-newer"));
        Assert.False(Disabled(cut, "auth-events-older"));
    }

    /// <summary>Two sessions of a user and one of another, as signing in stores them.</summary>
    private async Task<(string Erin, string Frank)> SessionsAsync()
    {
        var (erin, frank) = (Api.ApiClient.UniqueName("erin"), Api.ApiClient.UniqueName("frank"));
        var store = app.Services.GetRequiredService<SessionStore>();
        foreach (var user in new[] { erin, erin, frank })
        {
            var principal = ActorClaims.ToPrincipal(new Actor(user, IsAdmin: false, [], Via: "htpasswd"), LoginApi.CookieScheme);
            await store.StoreAsync(new AuthenticationTicket(principal, new AuthenticationProperties { ExpiresUtc = DateTimeOffset.UtcNow.AddHours(1) }, LoginApi.CookieScheme));
        }
        var users = Services.GetRequiredService<UserDirectory>();
        await users.TouchLoginAsync(erin, CancellationToken.None);
        await users.TouchLoginAsync(frank, CancellationToken.None);
        return (erin, frank);
    }

    private Task<Dictionary<string, int>> CountsAsync() => app.Services.GetRequiredService<SessionStore>().CountsAsync(CancellationToken.None);

    [Fact]
    public async Task End_EndsThatUsersSessionsOnly_AndSaysHowMany()
    {
        var (erin, frank) = await SessionsAsync();
        var cut = RenderAdmin();
        var end = cut.WaitForElement($"button[data-testid=end-sessions-{erin}]", Wait);

        end.Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll($"button[data-testid=end-sessions-{erin}]")), Wait);
        Assert.Contains(Services.GetRequiredService<ISnackbar>().ShownSnackbars, s => s.Message == $"Ended 2 session(s) of {erin}.");
        var counts = await CountsAsync();
        Assert.False(counts.ContainsKey(erin));
        Assert.Equal(1, counts[frank]);
        Assert.Single(cut.FindAll($"button[data-testid=end-sessions-{frank}]"));
    }

    [Fact]
    public async Task End_IsRefused_OnceThisTabsOwnSessionHasEnded()
    {
        var (erin, _) = await SessionsAsync();
        var cut = RenderAdmin();
        var end = cut.WaitForElement($"button[data-testid=end-sessions-{erin}]", Wait);

        // What CircuitRevalidation does when the administrator's own session ends: the circuit's user becomes nobody.
        Services.GetRequiredService<RequestActorAccessor>().Follow(null);

        await Assert.ThrowsAsync<UnauthenticatedException>(() => end.ClickAsync(new()));
        Assert.Equal(2, (await CountsAsync())[erin]);
    }
}
