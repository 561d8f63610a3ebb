using Bunit;
using KrautPortal.Features.SshKeys;
using KrautPortal.Tests.CloudInit;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Portal;

/// <summary>The profile's SSH key panel on real services: add, refuse with the reason, remove.</summary>
public sealed class SshKeysPanelTests(PortalApp app) : PortalTestContext(app.Services), IClassFixture<PortalApp>
{
    [Fact]
    public void AddingAKey_ShowsItsRow_AndRemoveTakesItAway()
    {
        var cut = Render<SshKeysPanel>();
        Assert.Contains("No keys yet.", cut.Find("[data-testid=ssh-key-table]").TextContent, StringComparison.Ordinal);

        cut.Find("textarea[data-testid=ssh-key-input]").Change(TestKeys.Ed25519("panel@test"));
        cut.Find("[data-testid=ssh-key-add]").Click();

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=ssh-key-row]")));
        var row = cut.Find("[data-testid=ssh-key-row]").TextContent;
        Assert.Contains("ssh-ed25519", row, StringComparison.Ordinal);
        Assert.Contains("panel@test", row, StringComparison.Ordinal);
        Assert.Contains("SHA256:", row, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=ssh-key-error]"));

        cut.Find("[data-testid=ssh-key-remove]").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=ssh-key-row]")));
    }

    [Fact]
    public void ABadKey_IsRefusedWithTheReason_AndNothingIsAdded()
    {
        var cut = Render<SshKeysPanel>();
        var before = cut.FindAll("[data-testid=ssh-key-row]").Count;

        cut.Find("textarea[data-testid=ssh-key-input]").Change("-----BEGIN OPENSSH PRIVATE KEY-----");
        cut.Find("[data-testid=ssh-key-add]").Click();

        cut.WaitForAssertion(() => Assert.Contains("looks like a private key", cut.Find("[data-testid=ssh-key-error]").TextContent, StringComparison.Ordinal));
        Assert.Equal(before, cut.FindAll("[data-testid=ssh-key-row]").Count);
    }
}
