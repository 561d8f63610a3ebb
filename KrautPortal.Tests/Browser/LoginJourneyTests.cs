using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KrautPortal.Tests.Auth;
using KrautPortal.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace KrautPortal.Tests.Browser;

/// <summary>Signing in as a person from an htpasswd file, with a one-time code and a token, in a real browser against a real portal process.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class LoginJourneyTests(BrowserFixture browser)
{
    private const string AlicePassword = "alice-Journey-Pw-3";
    private const string BobPassword = "bob-Journey-Pw-8";

    [Fact]
    public async Task Alice_SignsIn_TurnsOnOneTimeCodes_SignsInWithACode_SeesOnlyHerVms_AndUsesATokenMadeInHerProfile()
    {
        using var dir = new TempDir();
        var htpasswd = dir.File("htpasswd");
        HtpasswdTool.Set(htpasswd, "-B", "alice", AlicePassword);
        HtpasswdTool.Set(htpasswd, "-B", "bob", BobPassword);
        await using var portal = new PortalProcess(KrautAppFactory.TestDriver, "blank", new Dictionary<string, string?> { ["Auth:Htpasswd:File"] = htpasswd });
        await portal.StartAsync();
        using var aliceApi = Client(portal, "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"alice:{AlicePassword}")));
        using var bobApi = Client(portal, "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"bob:{BobPassword}")));
        var (hers, his) = (Unique("alice-vm"), Unique("bob-vm"));
        await new KrautApi(aliceApi).CreateVmAsync(hers);
        await new KrautApi(bobApi).CreateVmAsync(his);
        var page = await browser.NewPageAsync(portal.BaseAddress);

        // Not signed in: the list sends her to the login page, which remembers where she was going.
        await page.GotoAsync("vms");
        await Expect(page).ToHaveURLAsync(LoginForVms());

        await page.SubmitSignInAsync("alice", "not-her-password");
        await Expect(page.TestId("login-error")).ToHaveTextAsync("Wrong user name or password.");

        await page.SubmitSignInAsync("alice", AlicePassword);
        await Expect(page.TestId("current-user")).ToHaveTextAsync("alice");
        await Expect(page).ToHaveURLAsync(VmsPage());
        await Expect(Row(page, hers)).ToBeVisibleAsync();
        await Expect(page.TestId("resource-table").Locator("tbody tr")).ToHaveCountAsync(1);
        await Expect(page.GetByText(his)).ToHaveCountAsync(0);

        // One-time codes on: the key shown on the page, the code from Debian's oathtool.
        await page.GotoInteractiveAsync("profile");
        await page.TestId("otp-begin").ClickAsync();
        var key = (await page.TestId("otp-secret").TextContentAsync())!.Trim();
        var enrolmentCode = Oathtool(key);
        await page.TestId("otp-code").FillAsync(enrolmentCode);
        await page.TestId("otp-confirm").ClickAsync();
        await Expect(page.TestId("recovery-codes")).ToBeVisibleAsync();

        await page.TestId("logout").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/login$"));

        // The password alone no longer lets her in; the code she enrolled with is spent; the next one works.
        await page.GotoAsync("vms");
        await page.SubmitSignInAsync("alice", AlicePassword);
        await Expect(page.TestId("login-code")).ToBeVisibleAsync();
        await SubmitCodeAsync(page, enrolmentCode);
        await Expect(page.TestId("login-error")).ToHaveTextAsync("That code was already used; wait for the next one.");
        Assert.Equal(0, await page.TestId("current-user").CountAsync());
        await SubmitCodeAsync(page, Oathtool(key, "now + 30 seconds"));
        await Expect(page.TestId("current-user")).ToHaveTextAsync("alice");
        await Expect(page).ToHaveURLAsync(VmsPage());
        await Expect(Row(page, hers)).ToBeVisibleAsync();
        await Expect(page.GetByText(his)).ToHaveCountAsync(0);

        // With a second factor her password no longer works on the API: a token from her profile does.
        using (var refused = await aliceApi.GetAsync("api/v1/vms"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("uses a one-time code", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        await page.GotoInteractiveAsync("profile");
        await page.TestId("token-name").FillAsync("script");
        await page.TestId("token-create").ClickAsync();
        await Expect(page.TestId("token-secret")).ToHaveTextAsync(TokenPattern());
        var token = (await page.TestId("token-secret").TextContentAsync())!.Trim();
        using (var withToken = Client(portal, "Bearer " + token))
        {
            var listed = JsonNode.Parse(await withToken.GetStringAsync("api/v1/vms?limit=500"))!["items"]!.AsArray().Select(i => (string)i!["name"]!).ToList();
            Assert.Equal([hers], listed);
        }

        // Shown once: after a reload the token is listed, its secret is not.
        await page.ReloadAsync();
        await page.WaitForInteractiveAsync();
        await Expect(page.TestId("token-table")).ToContainTextAsync("script");
        await Expect(page.TestId("token-secret")).ToHaveCountAsync(0);
        Assert.DoesNotContain(token.Split('_')[^1], await page.ContentAsync(), StringComparison.Ordinal);
    }

    private static async Task SubmitCodeAsync(IPage page, string code)
    {
        await page.TestId("login-code").FillAsync(code);
        await page.TestId("login-code-submit").ClickAsync();
    }

    private static string Oathtool(string key, string when = "now") => Tool.Run("oathtool", "--totp", "-b", "-N", when, key);

    private static HttpClient Client(PortalProcess portal, string authorization)
    {
        var client = new HttpClient { BaseAddress = portal.BaseAddress };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        return client;
    }

    private static ILocator Row(IPage page, string name) =>
        page.TestId("resource-table").Locator("tr", new() { Has = page.GetByText(name, new() { Exact = true }) });

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";

    [GeneratedRegex("/login\\?returnUrl=%2Fvms$", RegexOptions.IgnoreCase)]
    private static partial Regex LoginForVms();

    [GeneratedRegex("/vms$")]
    private static partial Regex VmsPage();

    [GeneratedRegex("^kraut_[0-9a-f]{32}_[0-9a-f]{64}$")]
    private static partial Regex TokenPattern();
}
