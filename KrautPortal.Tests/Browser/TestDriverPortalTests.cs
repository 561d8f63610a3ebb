using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace KrautPortal.Tests.Browser;

/// <summary>History, live state and validation in a real browser, on one portal process over libvirt's test driver.</summary>
[Collection(BrowserCollection.Name)]
public sealed class TestDriverPortalTests(BrowserFixture browser, TestDriverPortal app) : IClassFixture<TestDriverPortal>
{
    [Fact]
    public async Task History_ComparesTwoVersionsSideBySide_AndRevertsToV1AsANewVersion()
    {
        var name = Unique("hist");
        var id = await app.Api.CreateVmAsync(name);
        var page = await browser.NewSignedInPageAsync(app.Portal);
        await page.GotoInteractiveAsync($"vms/{id}");
        await Expect(page.Locator("#page-title")).ToHaveTextAsync(name);

        // Two metadata edits: v2 env=dev, v3 env=prod.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Metadata" }).ClickAsync();
        await page.TestId("metadata-add").ClickAsync();
        await page.TestId("metadata-key").FillAsync("env");
        await page.TestId("metadata-value").FillAsync("dev");
        await page.TestId("metadata-save").ClickAsync();
        await Expect(page.GetByText("v2", new() { Exact = true })).ToBeVisibleAsync();
        await page.TestId("metadata-value").FillAsync("prod");
        await page.TestId("metadata-save").ClickAsync();
        await Expect(page.GetByText("v3", new() { Exact = true })).ToBeVisibleAsync();

        // History lists every version; v1 against v3 first, then v2 against v3.
        await page.GetByRole(AriaRole.Tab, new() { Name = "History" }).ClickAsync();
        var table = page.TestId("history-table");
        await Expect(table.Locator("tbody tr")).ToHaveCountAsync(3);
        await Expect(table).ToContainTextAsync("v3 (current)");
        await page.GetByLabel("Compare from version 1").CheckAsync();
        await Expect(page.GetByText("Version 1 → version 3")).ToBeVisibleAsync();
        await Expect(page.TestId("diff-right").Locator(".added", new() { HasTextString = "\"env\": \"prod\"" })).ToBeVisibleAsync();

        await page.GetByLabel("Compare from version 2").CheckAsync();
        await Expect(page.GetByText("Version 2 → version 3: 1 change(s)")).ToBeVisibleAsync();
        var left = page.TestId("diff-left").Locator(".changed");
        var right = page.TestId("diff-right").Locator(".changed");
        await Expect(left).ToHaveTextAsync("\"env\": \"dev\"");
        await Expect(right).ToContainTextAsync("\"env\": \"prod\"");
        await Expect(right).ToHaveCSSAsync("background-color", "rgb(255, 243, 205)");
        await Expect(page.TestId("diff-right").Locator(".same", new() { HasTextString = "\"name\"" })).ToHaveCSSAsync("background-color", "rgba(0, 0, 0, 0)");

        // Revert to v1, after confirming: a new version v4, equal to v1 (no metadata).
        await page.TestId("revert-1").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("makes a new version v4 equal to version 1");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Revert" }).ClickAsync();
        await Expect(table).ToContainTextAsync("v4 (current)");
        await Expect(table.Locator("tbody tr").First).ToContainTextAsync("reverted to version 1");
        await Expect(page.Locator("span.mud-typography-caption").GetByText("v4", new() { Exact = true })).ToBeVisibleAsync();
        // The diff pane follows the revert: the version before it against the revert.
        await Expect(page.GetByText("Version 3 → version 4")).ToBeVisibleAsync();
        var metadata = (await GetVmAsync(id)).GetProperty("metadata");
        Assert.Equal(JsonValueKind.Object, metadata.ValueKind);
        Assert.Empty(metadata.EnumerateObject());
    }

    [Fact]
    public async Task VmList_FollowsAStateChangeMadeThroughTheApi_WithoutReloading()
    {
        var name = Unique("live");
        var id = await app.Api.CreateVmAsync(name);
        var page = await browser.NewSignedInPageAsync(app.Portal);
        await page.GotoInteractiveAsync("vms");
        var phase = Row(page, name).GetByTestId("vm-phase");
        await Expect(phase).ToHaveTextAsync("running");
        await page.MarkDocumentAsync();

        await app.Api.ActAsync(id, "stop");

        await Expect(phase).ToHaveTextAsync("stopped");
        await page.AssertNotReloadedAsync();
    }

    [Fact]
    public async Task VmList_MetadataFilter_AppliesOnEnter()
    {
        var tag = Unique("team");
        var mine = Unique("filter");
        await app.Api.CreateVmAsync(mine, metadata: new JsonObject { ["team"] = tag });
        await app.Api.CreateVmAsync(Unique("other"), metadata: new JsonObject { ["team"] = "someone-else" });
        var page = await browser.NewSignedInPageAsync(app.Portal);
        await page.GotoInteractiveAsync("vms");
        await Expect(page.TestId("resource-table").Locator("tbody tr")).Not.ToHaveCountAsync(1);

        await page.TestId("selector").FillAsync($"team={tag}");
        await page.TestId("selector").PressAsync("Enter");

        await Expect(page.TestId("resource-table").Locator("tbody tr")).ToHaveCountAsync(1);
        await Expect(page.TestId("vm-link")).ToHaveTextAsync(mine);
    }

    [Fact]
    public async Task VmList_TicksSurviveLiveUpdates_AndBulkActionsUseThem()
    {
        var tag = Unique("bulk");
        var (a, b) = (Unique("a"), Unique("b"));
        await app.Api.CreateVmAsync(a, metadata: new JsonObject { ["team"] = tag });
        await app.Api.CreateVmAsync(b, metadata: new JsonObject { ["team"] = tag });
        var page = await browser.NewSignedInPageAsync(app.Portal);
        await page.GotoInteractiveAsync("vms");
        await page.TestId("selector").FillAsync($"team={tag}");
        await page.TestId("selector").PressAsync("Enter");
        var rows = page.TestId("resource-table").Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(2);

        await Row(page, a).GetByTestId("select-row").CheckAsync();
        await Expect(page.GetByText("1 selected")).ToBeVisibleAsync();
        await Row(page, a).EvaluateAsync("row => row.__kraut = 'same row'");

        // A third VM appears and boots: the list refreshes under the tick.
        var c = Unique("c");
        await app.Api.CreateVmAsync(c, metadata: new JsonObject { ["team"] = tag });
        await Expect(rows).ToHaveCountAsync(3);
        await Expect(Row(page, c).GetByTestId("vm-phase")).ToHaveTextAsync("running");
        await Expect(page.GetByText("1 selected")).ToBeVisibleAsync();
        await Expect(Row(page, a).GetByTestId("select-row")).ToBeCheckedAsync();
        Assert.Equal("same row", await Row(page, a).EvaluateAsync<string?>("row => row.__kraut ?? null"));

        // Acting on ticked rows needs no confirmation and touches only them.
        await page.TestId("bulk-stop").ClickAsync();
        await Expect(Row(page, a).GetByTestId("vm-phase")).ToHaveTextAsync("stopped");
        await Expect(Row(page, b).GetByTestId("vm-phase")).ToHaveTextAsync("running");
        await Expect(Row(page, c).GetByTestId("vm-phase")).ToHaveTextAsync("running");

        // Tick all, delete after confirming.
        await page.TestId("select-all").ClickAsync();
        await Expect(page.GetByText("3 selected")).ToBeVisibleAsync();
        await page.ScreenshotToAsync("vm-list-selected.png");
        await page.TestId("bulk-delete").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("Delete 3 VMs?");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(page.GetByText("Nothing matches this filter.")).ToBeVisibleAsync();
        Assert.DoesNotContain(await VmNamesAsync(), n => n == a || n == b || n == c);
    }

    [Fact]
    public async Task VmDetail_Resize_SavesWhatWasTyped_WithOneClick()
    {
        var id = await app.Api.CreateVmAsync(Unique("resize"));
        var page = await browser.NewSignedInPageAsync(app.Portal);
        await page.GotoInteractiveAsync($"vms/{id}");
        await page.TestId("resize-save").ClickAsync();
        await Expect(page.GetByText("The size is unchanged.")).ToBeVisibleAsync();

        // Typed key by key, the field still focused: the one click on Save must save exactly that.
        var memory = page.TestId("resize-memory");
        await memory.FillAsync("");
        await memory.PressSequentiallyAsync("1024");
        await page.TestId("resize-save").ClickAsync();

        await Expect(page.GetByText("Size saved.")).ToBeVisibleAsync();
        var vm = await GetVmAsync(id);
        Assert.Equal(1024, vm.GetProperty("spec").GetProperty("memoryMiB").GetInt32());
        Assert.Equal(2, vm.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Wizard_InvalidName_IsExplained_AndNothingIsCreated()
    {
        var page = await WizardAtNameStepAsync();

        await page.TestId("vm-name").FillAsync(" padded ");
        await Expect(page.GetByText("A name may not start or end with spaces.").First).ToBeVisibleAsync();
        await NextAsync(page);

        await Expect(page.TestId("step-problem")).ToHaveTextAsync("A name may not start or end with spaces.");
        await Expect(page.Locator(".mud-step.active")).ToContainTextAsync("Name & metadata");
        await Expect(page.TestId("review")).ToHaveCountAsync(0);
        Assert.DoesNotContain(await VmNamesAsync(), n => n.Trim() == "padded");
    }

    [Fact]
    public async Task Wizard_NameTakenAlready_IsRefusedOnTheNameStepWithTheReason()
    {
        var name = Unique("taken");
        await app.Api.CreateVmAsync(name);
        var page = await WizardAtNameStepAsync();

        await page.TestId("vm-name").FillAsync(name);

        // Said on the step, as typed, in the API's words; the wizard does not move on to a create that must fail.
        var reason = $"A VM named '{name}' already exists. Names are unique per owner; pick another.";
        await Expect(page.Locator(".mud-input-helper-text.mud-input-error")).ToContainTextAsync(reason);
        await NextAsync(page);
        await Expect(page.TestId("step-problem")).ToHaveTextAsync(reason);
        await Expect(page.TestId("review")).ToHaveCountAsync(0);
        await Expect(page.TestId("create-progress")).ToHaveCountAsync(0);
        Assert.Single(await VmNamesAsync(), n => n == name);

        await page.TestId("vm-name").FillAsync(name + "-2");
        await Expect(page.TestId("step-problem")).ToHaveCountAsync(0);
    }

    private async Task<IPage> WizardAtNameStepAsync()
    {
        var page = await browser.NewSignedInPageAsync(app.Portal);
        await page.GotoInteractiveAsync("vms/new");
        await Expect(page.TestId("image-option")).ToBeCheckedAsync();
        await NextAsync(page);
        await NextAsync(page);
        await page.Locator("label.mud-radio", new() { Has = page.Locator("b", new() { HasTextString = "small" }) }).ClickAsync();
        await NextAsync(page);
        await NextAsync(page);
        await Expect(page.TestId("vm-name")).ToBeVisibleAsync();
        return page;
    }

    private static Task NextAsync(IPage page) => page.Locator(".mud-stepper-actions button").Last.ClickAsync();

    private static ILocator Row(IPage page, string name) =>
        page.TestId("resource-table").Locator("tr", new() { Has = page.GetByText(name, new() { Exact = true }) });

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";

    private async Task<JsonElement> GetVmAsync(Guid id) => await app.Api.GetVmAsync(id) ?? throw new InvalidOperationException($"VM {id} is gone");

    private async Task<List<string>> VmNamesAsync()
    {
        var list = JsonNode.Parse(await app.Api.Http.GetStringAsync("/api/v1/vms?limit=500"))!;
        return list["items"]!.AsArray().Select(i => (string)i!["name"]!).ToList();
    }
}
