using Bunit;
using KrautPortal.Components.Pages;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using KrautPortal.Features.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using KrautPortal.Tests.Support;
using OtpNet;

namespace KrautPortal.Tests.Portal;

/// <summary>The profile page's token form and one-time-code set-up, on real services.</summary>
public sealed class ProfilePanelsTests(PortalApp app) : PortalTestContext(app.Services), IClassFixture<PortalApp>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task CreatingAToken_ResetsTheForm_SoTheNextDoesNotInheritWideVerbsOrTheSelector()
    {
        var cut = Render<TokensPanel>();
        cut.Find("input[data-testid=token-name]").Change("deploy-" + Guid.NewGuid().ToString("N")[..6]);
        cut.Find("input[data-testid=token-verb-delete]").Change(true);
        cut.Find("input[data-testid=token-selector]").Change("env=prod");

        await cut.Find("form[data-testid=token-form]").SubmitAsync();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.Find("[data-testid=token-secret]").TextContent.Trim()), Wait);
        var created = (await Services.GetRequiredService<ResourceService<TokenSpec, TokenStatus>>().ListAsync(new ListQuery(Limit: ListQuery.MaxLimit), CancellationToken.None))
            .Items.Single(t => t.Spec.Verbs.Contains("delete"));
        Assert.Equal("env=prod", created.Spec.Selector);
        Assert.Equal("", cut.Find("input[data-testid=token-name]").GetAttribute("value") ?? "");
        Assert.Equal("", cut.Find("input[data-testid=token-selector]").GetAttribute("value") ?? "");
        Assert.True(cut.Find("input[data-testid=token-verb-read]").HasAttribute("checked"));
        Assert.False(cut.Find("input[data-testid=token-verb-delete]").HasAttribute("checked"));
    }

    [Theory]
    [InlineData(true, "Copied to the clipboard.")]
    [InlineData(false, "The browser refused the clipboard: the token is selected, press Ctrl+C.")]
    public async Task TheNewSecret_HasACopyButton_UsingTheClipboardOrSelectingIt(bool clipboardWorks, string hint)
    {
        var module = JSInterop.SetupModule("./js/clipboard.js");
        var copy = module.Setup<bool>("copyText", _ => true);
        copy.SetResult(clipboardWorks);
        var cut = Render<TokensPanel>();
        cut.Find("input[data-testid=token-name]").Change("copy-" + Guid.NewGuid().ToString("N")[..6]);
        await cut.Find("form[data-testid=token-form]").SubmitAsync();
        cut.WaitForElement("[data-testid=token-copy]", Wait);
        var secret = cut.Find("[data-testid=token-secret]").TextContent.Trim();

        cut.Find("[data-testid=token-copy]").Click();

        cut.WaitForAssertion(() => Assert.Equal(hint, cut.Find("[data-testid=token-copy-hint]").TextContent.Trim()), Wait);
        Assert.Equal(secret, copy.Invocations.Single().Arguments[0]);
    }

    [Fact]
    public async Task TotpSetUp_Cancel_ForgetsTheUnconfirmedSecret_SoItsCodesCannotTurnCodesOn()
    {
        var cut = Render<Profile>();
        cut.Find("[data-testid=otp-begin]").Click();
        var secret = cut.WaitForElement("[data-testid=otp-secret]", Wait).TextContent.Trim();
        Assert.NotNull(await StoredSecretAsync());

        cut.Find("[data-testid=otp-cancel]").Click();

        cut.WaitForElement("[data-testid=otp-begin]", Wait);
        Assert.Empty(cut.FindAll("[data-testid=otp-secret]"));
        Assert.Null(await StoredSecretAsync());
        var code = new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp();
        Assert.Null(await Services.GetRequiredService<OtpService>().ConfirmEnrolmentAsync(TestCredentials.Admin.Name, code, CancellationToken.None));
        Assert.False(await Services.GetRequiredService<OtpService>().IsEnabledAsync(TestCredentials.Admin.Name, CancellationToken.None));
    }

    private async Task<string?> StoredSecretAsync() =>
        await Services.GetRequiredService<KrautDbContext>().Users.AsNoTracking().Where(u => u.Name == TestCredentials.Admin.Name)
            .Select(u => u.OtpSecret).SingleOrDefaultAsync();
}
