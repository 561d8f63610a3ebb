using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using KrautPortal.Features.Capacity;
using KrautPortal.Tests.Auth;
using KrautPortal.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace KrautPortal.Tests.Browser;

/// <summary>A portal process on libvirt's test driver with an administrator (ann) and a person who is not one (dana).</summary>
public sealed class DashboardPortal : IAsyncLifetime
{
    public const string Admin = "ann";
    public const string AdminPassword = "ann-Dashboard-3b7d90";
    public const string User = "dana";
    public const string UserPassword = "dana-Dashboard-8c2f1e";
    private readonly TempDir _dir = new();

    public DashboardPortal()
    {
        var users = _dir.File("htpasswd");
        HtpasswdTool.Set(users, "-B", Admin, AdminPassword);
        HtpasswdTool.Set(users, "-B", User, UserPassword);
        Portal = new PortalProcess(KrautAppFactory.TestDriver, SeedImages.Blank, new Dictionary<string, string?>
        {
            ["Auth:Htpasswd:File"] = users,
            ["Auth:Admins:0"] = Admin,
        });
    }

    public PortalProcess Portal { get; }

    /// <summary>The API as the administrator, with his password.</summary>
    public KrautApi Api { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        await Portal.StartAsync();
        Api = new KrautApi(Client(Admin, AdminPassword));
    }

    /// <summary>The API as someone with a password.</summary>
    public HttpClient Client(string user, string password)
    {
        var client = new HttpClient { BaseAddress = Portal.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return client;
    }

    public async Task DisposeAsync()
    {
        Api?.Http.Dispose();
        await Portal.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>Both dashboards in Chromium at a laptop's 1366×768: their charts drawn, their figures the API's, the admin one for admins only.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DashboardBrowserTests(BrowserFixture browser, DashboardPortal app) : IClassFixture<DashboardPortal>
{
    [Fact]
    public async Task AdminDashboard_DrawsCapacityStatesAndFits_WithTheApisFigures()
    {
        var vm = await app.Api.CreateVmAsync(Unique("dash-admin"));
        await Eventually.WaitUntilAsync(async () => (await app.Api.GetVmAsync(vm))?.GetProperty("status").TryGetProperty("host", out _) == true,
            TimeSpan.FromSeconds(30), "the VM to be placed");
        var page = await browser.NewPageAsync(app.Portal.BaseAddress);
        await page.SetViewportSizeAsync(1366, 768);
        await page.SignInAsync(DashboardPortal.Admin, DashboardPortal.AdminPassword);

        await page.GotoInteractiveAsync("admin/dashboard");

        await Expect(page.Locator("#page-title")).ToHaveTextAsync("Installation");
        foreach (var chart in new[] { "capacity-chart-vcpus", "capacity-chart-memory", "capacity-chart-disk", "vm-phases-chart" })
            await Expect(page.TestId(chart).Locator("svg").First).ToBeVisibleAsync();
        var capacity = (await app.Api.Http.GetFromJsonAsync<InstallationCapacity>("/api/v1/capacity", KrautAppFactory.Json))!;
        var total = page.Locator("[data-testid=capacity-row][data-host=Total]");
        await Expect(total.TestIdWithin("capacity-vcpus")).ToHaveAttributeAsync("data-allocated", Invariant(capacity.Vcpus.Allocated));
        await Expect(total.TestIdWithin("capacity-vcpus")).ToHaveAttributeAsync("data-ceiling", Invariant(capacity.Vcpus.Ceiling));
        await Expect(total.TestIdWithin("capacity-memory")).ToHaveAttributeAsync("data-allocated", Invariant(capacity.MemoryBytes.Allocated));
        await Expect(total.TestIdWithin("capacity-memory")).ToHaveAttributeAsync("data-physical", Invariant(capacity.MemoryBytes.Physical));
        Assert.True(capacity.Vcpus.Allocated >= 1, "the VM this test made is allocated");
        foreach (var fit in capacity.Fits)
            await Expect(page.Locator($"[data-testid=fit-count][data-type='{fit.Name}']")).ToHaveTextAsync($"{fit.Fits} more");
        await Expect(page.TestId("fits-table")).ToContainTextAsync("memory on test:///default");

        // Every VM of the installation by state, as the API counts them.
        var all = await app.Api.Http.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/vms?limit=500");
        var phases = page.Locator("[data-testid=all-vm-phases] [data-testid=phase-count]");
        var shown = 0L;
        foreach (var count in await phases.EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.count)")) shown += long.Parse(count, CultureInfo.InvariantCulture);
        Assert.Equal(all.GetProperty("items").GetArrayLength(), shown);

        await page.ScreenshotToAsync("dashboard-admin.png");
    }

    [Fact]
    public async Task UserDashboard_ShowsTheirVmsByState_AndTheAdminDashboardIsRefused()
    {
        using var dana = app.Client(DashboardPortal.User, DashboardPortal.UserPassword);
        var api = new KrautApi(dana);
        await api.CreateVmAsync(Unique("dash-user"));
        var page = await browser.NewPageAsync(app.Portal.BaseAddress);
        await page.SetViewportSizeAsync(1366, 768);
        await page.SignInAsync(DashboardPortal.User, DashboardPortal.UserPassword);

        await page.GotoInteractiveAsync("");

        await Expect(page.Locator("#page-title")).ToHaveTextAsync("Dashboard");
        await Expect(page.TestId("vm-phases-chart").Locator("svg").First).ToBeVisibleAsync();
        var mine = await dana.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/vms?limit=500");
        var phases = page.Locator("[data-testid=vm-phases] [data-testid=phase-count]");
        await Expect(phases.First).ToBeVisibleAsync();
        var counts = await phases.EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.count)");
        Assert.Equal(mine.GetProperty("items").GetArrayLength(), counts.Sum(c => long.Parse(c, CultureInfo.InvariantCulture)));
        await Expect(page.TestId("count-vms")).ToHaveTextAsync(mine.GetProperty("items").GetArrayLength().ToString(CultureInfo.InvariantCulture));
        await Expect(page.TestId("admin-dashboard-link")).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Installation" })).ToHaveCountAsync(0);
        await page.ScreenshotToAsync("dashboard-user.png");

        await page.GotoInteractiveAsync("admin/dashboard");

        await Expect(page.TestId("admin-dashboard-forbidden")).ToContainTextAsync("Only administrators");
        await Expect(page.TestId("capacity-panel")).ToHaveCountAsync(0);
    }

    private static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];
}

internal static class DashboardLocators
{
    public static ILocator TestIdWithin(this ILocator scope, string id) => scope.Locator($"[data-testid={id}]");
}
