using System.Text.Json.Nodes;
using Bunit;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Features.Vms.Wizard;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Portal;

/// <remarks>On real services: the step asks the API's rules (name taken, address free) as people type.</remarks>
public sealed class NameStepTests(PortalApp app) : PortalTestContext(app.Services), IClassFixture<PortalApp>
{
    [Theory]
    [InlineData(" web-1")]
    [InlineData("web\u0007bell")]
    [InlineData("web\u200Bzero-width")]
    public void InvalidName_ShowsTheRulesMessage(string name)
    {
        var draft = new VmDraft();
        var cut = Render<NameStep>(p => p.Add(x => x.Draft, draft));

        cut.Find("input[data-testid=vm-name]").Input(name);

        Assert.Equal(name, draft.Name);
        var expected = ResourceNames.Problem(name);
        Assert.NotNull(expected);
        Assert.Equal([expected], ErrorTexts(cut));
        Assert.Equal("true", cut.Find("input[data-testid=vm-name]").GetAttribute("aria-invalid"));
    }

    [Fact]
    public void ValidName_ShowsNoError_AndEmptyNameIsNotScoldedBeforeTyping()
    {
        var draft = new VmDraft();
        var cut = Render<NameStep>(p => p.Add(x => x.Draft, draft));
        Assert.Empty(ErrorTexts(cut));

        cut.Find("input[data-testid=vm-name]").Input("web-1 (Ünïcode ok)");

        Assert.Equal("web-1 (Ünïcode ok)", draft.Name);
        Assert.Empty(ErrorTexts(cut));
    }

    [Fact]
    public void Metadata_ValuesThatReadAsJsonStayJson_OthersAreStrings()
    {
        var draft = new VmDraft();
        var cut = Render<NameStep>(p => p.Add(x => x.Draft, draft));

        AddKey(cut, "replicas", "3");
        AddKey(cut, "debug", "true");
        AddKey(cut, "limits", """{"a":1}""");
        AddKey(cut, "env", "prod");
        AddKey(cut, "note", "3 apples");

        var expected = JsonNode.Parse("""{"replicas":3,"debug":true,"limits":{"a":1},"env":"prod","note":"3 apples"}""");
        Assert.True(JsonNode.DeepEquals(expected, draft.Metadata), draft.Metadata.ToJsonString());
    }

    [Fact]
    public void Metadata_RemovingARowRemovesTheKey()
    {
        var draft = new VmDraft();
        var cut = Render<NameStep>(p => p.Add(x => x.Draft, draft));
        AddKey(cut, "env", "prod");
        AddKey(cut, "tier", "web");

        cut.FindAll("button[aria-label='Remove this key']")[0].Click();

        Assert.Equal("""{"tier":"web"}""", draft.Metadata.ToJsonString());
        Assert.Single(cut.FindAll("input[data-testid=metadata-key]"));
        Assert.Equal("tier", cut.Find("input[data-testid=metadata-key]").GetAttribute("value"));
    }

    [Fact]
    public void Metadata_DuplicateKeysAreFlagged()
    {
        var draft = new VmDraft { Name = "web-1" };
        var cut = Render<NameStep>(p => p.Add(x => x.Draft, draft));

        AddKey(cut, "env", "prod");
        AddKey(cut, "env", "test");

        Assert.Equal(["Keys must be unique", "Keys must be unique"], ErrorTexts(cut));
        // The draft cannot hold both, so the step itself must not count as done.
        Assert.Equal("""{"env":"test"}""", draft.Metadata.ToJsonString());
        Assert.Equal("Each metadata key needs a name, and no key may appear twice.", cut.Instance.Problem);
    }

    [Fact]
    public void Problem_IsTheNameRuleFirst_ThenNothingOnceValid()
    {
        var draft = new VmDraft();
        var cut = Render<NameStep>(p => p.Add(x => x.Draft, draft));
        Assert.Equal("A name is required.", cut.Instance.Problem);

        cut.Find("input[data-testid=vm-name]").Input("web-1");
        AddKey(cut, "env", "prod");

        Assert.Null(cut.Instance.Problem);
    }

    [Fact]
    public async Task TakenName_IsRefusedOnTheStep_InTheApisWords_AndTheErrorGoesOnceChanged()
    {
        var taken = "taken-" + Guid.NewGuid().ToString("N")[..8];
        var vms = Services.GetRequiredService<ResourceService<VmSpec, VmStatus>>();
        await app.CreateVmAsync(Services, taken);
        var draft = new VmDraft();
        var cut = Render<NameStep>(p => p.Add(x => x.Draft, draft));

        cut.Find("input[data-testid=vm-name]").Input(taken);

        var expected = $"A VM named '{taken}' already exists. Names are unique per owner; pick another.";
        cut.WaitForAssertion(() => Assert.Equal([expected], ErrorTexts(cut)));
        Assert.Equal(expected, cut.Instance.Problem);
        Assert.Equal(expected, await vms.NewNameProblemAsync(taken, CancellationToken.None));

        cut.Find("input[data-testid=vm-name]").Input(taken + "-2");

        cut.WaitForAssertion(() => Assert.Empty(ErrorTexts(cut)));
        Assert.Null(cut.Instance.Problem);
    }

    /// <summary>The error lines MudBlazor shows under invalid fields.</summary>
    private static List<string> ErrorTexts(IRenderedComponent<NameStep> cut) =>
        cut.FindAll(".mud-input-helper-text.mud-input-error .me-auto").Select(e => e.TextContent.Trim()).ToList();

    private static void AddKey(IRenderedComponent<NameStep> cut, string key, string value)
    {
        cut.Find("[data-testid=metadata-add]").Click();
        cut.FindAll("input[data-testid=metadata-key]")[^1].Input(key);
        cut.FindAll("input[data-testid=metadata-value]")[^1].Input(value);
    }
}
