using System.Reflection;
using Bunit;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms.Pages;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Portal;

/// <summary>Live pages subscribe to the change feed once (ComponentBase already calls OnInitialized), and let go when they close.</summary>
public sealed class LiveComponentTests(LiveComponentTests.App app) : PortalTestContext(app.Factory.Services), IClassFixture<LiveComponentTests.App>
{
    public sealed class App : IDisposable
    {
        public KrautAppFactory Factory { get; } = new();
        public void Dispose() => Factory.Dispose();
    }

    // Not the dashboard: it embeds live panels of other features (quota use), each subscribing for itself, and usage charts
    // that open service scopes bUnit's container cannot give; DashboardBrowserTests renders it in a real portal.
    public static TheoryData<Type> LivePages => [typeof(VmList), typeof(CreateVm), typeof(VmDetail)];

    [Theory]
    [MemberData(nameof(LivePages))]
    public async Task Page_SubscribesOnce_AndLetsGoWhenClosed(Type page)
    {
        // A feed of this test's own, so the reconcilers' and other tests' subscriptions do not count.
        var feed = new ChangeFeed();
        Services.AddSingleton(feed);
        var noSuchVm = Guid.NewGuid(); // the detail page says it is missing, still live

        var cut = RenderWithPopovers(b =>
        {
            b.OpenComponent(0, page);
            if (page == typeof(VmDetail)) b.AddAttribute(1, nameof(VmDetail.Id), noSuchVm);
            b.CloseComponent();
        });
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("#page-title, [data-testid=gone], [data-testid=missing]")), TimeSpan.FromSeconds(10));
        Assert.Equal(1, Subscribers(feed));

        await DisposeComponentsAsync();

        Assert.Equal(0, Subscribers(feed));
    }

    // ChangeFeed keeps no count of its own; a renamed field makes this fail loudly, never pass silently.
    private static int Subscribers(ChangeFeed feed)
    {
        var handlers = typeof(ChangeFeed).GetField("_handlers", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(feed)!;
        return ((Array)handlers.GetType().GetProperty("Items")!.GetValue(handlers)!).Length;
    }
}
