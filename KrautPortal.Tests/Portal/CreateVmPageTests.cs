using System.Text.Json.Nodes;
using Bunit;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Features.Vms.Pages;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Portal;

/// <summary>The whole create page on real services (libvirt's test driver): the wizard's steps wired together.</summary>
public sealed class CreateVmPageTests(PortalApp app) : PortalTestContext(app.Services), IClassFixture<PortalApp>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Wizard_CreatesTheVmItShows_AndFollowsItToRunning()
    {
        var cut = Render<CreateVm>();
        cut.WaitForElement("[data-testid=wizard]", Wait);

        // Defaults: the only image is chosen and the default network ticked.
        Next(cut);
        Assert.Single(cut.FindAll("input[data-testid=network-option][checked]"));
        Next(cut);
        ChooseMachineType(cut, "small");
        Assert.Contains("small", cut.Find(".mud-step.active").TextContent, StringComparison.Ordinal);
        Next(cut);
        cut.Find("input[data-testid=param-memory]").Change("256");
        Next(cut);
        cut.Find("input[data-testid=vm-name]").Input("page-web-1");
        cut.Find("[data-testid=metadata-add]").Click();
        cut.Find("input[data-testid=metadata-key]").Input("env");
        cut.Find("input[data-testid=metadata-value]").Input("test");
        Next(cut);
        Assert.Contains("page-web-1", cut.WaitForElement("[data-testid=review]", Wait).TextContent);

        Next(cut);

        cut.WaitForElement("[data-testid=create-progress]", Wait);
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=create-done]")), Wait);
        Assert.Equal("running", cut.Find("[data-testid=create-progress] [data-testid=vm-phase]").TextContent.Trim());

        var vm = (await Vms().ListAsync(new ListQuery(Selector: "env=test"), CancellationToken.None)).Items.Single(v => v.Name == "page-web-1");
        Assert.Equal((1, 256, PowerState.Running), (vm.Spec.Vcpus, vm.Spec.MemoryMiB, vm.Spec.Power));
        Assert.Single(vm.Spec.Nics);
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["env"] = "test" }, vm.Metadata));
        Assert.Equal($"vms/{vm.Id}", cut.Find("[data-testid=open-vm]").GetAttribute("href"));
    }

    [Fact]
    public async Task InvalidName_StaysOnTheStepWithTheReason_AndCreatesNothing()
    {
        var before = await Vms().CountAsync(null, CancellationToken.None);
        var cut = WalkToNameStep();

        cut.Find("input[data-testid=vm-name]").Input(" leading-space");
        Next(cut);

        Assert.Equal("A name may not start or end with spaces.", cut.Find("[data-testid=step-problem]").TextContent.Trim());
        Assert.Contains("Name & metadata", cut.Find(".mud-step.active").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=review]"));
        Assert.Equal(before, await Vms().CountAsync(null, CancellationToken.None));
    }

    [Fact]
    public void AnAddressOutsideTheSubnet_StopsTheNetworksStep_AndTheProblemGoesOnceFixed()
    {
        var cut = Render<CreateVm>();
        cut.WaitForElement("[data-testid=wizard]", Wait);
        Next(cut);
        cut.Find("input[data-testid=network-address]").Input("203.0.113.7");

        Next(cut);

        cut.WaitForAssertion(() => Assert.StartsWith("203.0.113.7 cannot be used on network 'default': ",
            cut.Find("[data-testid=step-problem]").TextContent.Trim(), StringComparison.Ordinal), Wait);
        Assert.Contains("Networks", cut.Find(".mud-step.active").TextContent, StringComparison.Ordinal);

        cut.Find("input[data-testid=network-address]").Input("");

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=step-problem]")), Wait);
        Next(cut);
        cut.WaitForAssertion(() => Assert.Contains("Machine type", cut.Find(".mud-step.active").TextContent, StringComparison.Ordinal), Wait);
    }

    [Fact]
    public void DuplicateMetadataKeys_StayOnTheStep()
    {
        var cut = WalkToNameStep();
        cut.Find("input[data-testid=vm-name]").Input("dup-keys");
        for (var i = 0; i < 2; i++)
        {
            cut.Find("[data-testid=metadata-add]").Click();
            cut.FindAll("input[data-testid=metadata-key]")[i].Input("env");
            cut.FindAll("input[data-testid=metadata-value]")[i].Input(i == 0 ? "prod" : "test");
        }

        Next(cut);

        Assert.Equal("Each metadata key needs a name, and no key may appear twice.", cut.Find("[data-testid=step-problem]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=review]"));
    }

    [Fact]
    public void MachineTypeStep_WithoutAChoice_SaysWhatIsMissing()
    {
        var cut = Render<CreateVm>();
        cut.WaitForElement("[data-testid=wizard]", Wait);
        Next(cut);
        Next(cut);

        Next(cut);

        Assert.Equal("Pick a machine type.", cut.Find("[data-testid=step-problem]").TextContent.Trim());
        Assert.Contains("Machine type", cut.Find(".mud-step.active").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReviewedApiRequest_CreatesTheSameVmWhenPostedToTheApi()
    {
        var cut = WalkToNameStep();
        cut.Find("input[data-testid=vm-name]").Input("copied-from-review");
        Next(cut);
        cut.WaitForElement("[data-testid=review]", Wait);
        cut.Find(".mud-expand-panel-header").Click();
        var text = cut.Find("[data-testid=review-json]").TextContent;
        var body = text[(text.IndexOf('{', StringComparison.Ordinal))..];

        using var client = app.Factory.CreateClient();
        var response = await client.PostAsync("/api/v1/vms", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var created = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("copied-from-review", (string?)created["name"]);
        Assert.Equal(512, (int?)created["spec"]!["memoryMiB"]);
        Assert.Single(created["spec"]!["nics"]!.AsArray());
    }

    [Fact]
    public void StepHeaders_DoNotSkipAheadOfUnfinishedSteps()
    {
        var cut = Render<CreateVm>();
        cut.WaitForElement("[data-testid=wizard]", Wait);

        cut.FindAll("button.mud-step")[5].Click();

        Assert.Contains("Image", cut.Find(".mud-step.active").TextContent, StringComparison.Ordinal);
        Assert.Equal("Pick a machine type.", cut.Find("[data-testid=step-problem]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=review]"));
    }

    [Fact]
    public void StepHeaders_JumpBackAndForthOverFinishedSteps()
    {
        var cut = WalkToNameStep();
        cut.Find("input[data-testid=vm-name]").Input("headers");
        Next(cut);
        // The name step checks the name against the store before it lets the review show: waited for, not found at once.
        cut.WaitForElement("[data-testid=review]", Wait);

        cut.FindAll("button.mud-step")[1].Click();
        Assert.Contains("Networks", cut.Find(".mud-step.active").TextContent, StringComparison.Ordinal);
        cut.FindAll("button.mud-step")[5].Click();

        Assert.Contains("headers", cut.WaitForElement("[data-testid=review]", Wait).TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=step-problem]"));
    }

    [Fact]
    public async Task GuestSetup_StartsWithTheProfileKeys_TakesUserData_AndTheReviewAndVmShowBoth()
    {
        var profileKey = CloudInit.TestKeys.Ed25519("wizard@profile");
        await Services.GetRequiredService<Features.SshKeys.SshKeyService>().AddAsync(TestCredentials.Admin.Name, profileKey, CancellationToken.None);
        var extraKey = CloudInit.TestKeys.Rsa(comment: "extra@vm");
        const string userData = "#!/bin/sh\necho hello\n";

        var cut = WalkToNameStep();
        cut.Find("input[data-testid=vm-name]").Input("Guest Setup");
        var keys = cut.Find("textarea[data-testid=vm-ssh-keys]");
        Assert.Contains(profileKey, keys.GetAttribute("value") ?? keys.TextContent, StringComparison.Ordinal);
        keys.Input(profileKey + "\n" + extraKey);
        cut.Find("textarea[data-testid=vm-user-data]").Input(userData);
        Next(cut);

        Assert.Equal("guest-setup (from the name)", cut.Find("[data-testid=review-hostname]").TextContent.Trim());
        Assert.Equal("wizard@profile (ssh-ed25519), extra@vm (ssh-rsa)", cut.Find("[data-testid=review-ssh-keys]").TextContent.Trim());
        Assert.Equal(userData, cut.Find("[data-testid=review-user-data] pre").TextContent);

        Next(cut);
        cut.WaitForElement("[data-testid=create-progress]", Wait);
        var vm = (await Vms().ListAsync(new ListQuery(Limit: ListQuery.MaxLimit), CancellationToken.None)).Items.Single(v => v.Name == "Guest Setup");
        Assert.Equal([profileKey, extraKey], vm.Spec.SshAuthorizedKeys);
        Assert.Equal(userData, vm.Spec.UserData);
        Assert.Null(vm.Spec.Hostname);
    }

    [Fact]
    public void GuestSetup_WithABadKeyOrHostname_StaysOnTheStepWithTheReason()
    {
        var cut = WalkToNameStep();
        cut.Find("input[data-testid=vm-name]").Input("bad-guest");
        cut.Find("textarea[data-testid=vm-ssh-keys]").Input("ssh-ed25519 nope");
        Next(cut);

        Assert.StartsWith("Key 1: ", cut.Find("[data-testid=step-problem]").TextContent.Trim(), StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=review]"));

        cut.Find("textarea[data-testid=vm-ssh-keys]").Input("");
        cut.Find("input[data-testid=vm-hostname]").Input("-bad-");
        Next(cut);
        Assert.Contains("Letters, digits and hyphens", cut.Find("[data-testid=step-problem]").TextContent, StringComparison.Ordinal);
    }

    private IRenderedComponent<CreateVm> WalkToNameStep()
    {
        var cut = Render<CreateVm>();
        cut.WaitForElement("[data-testid=wizard]", Wait);
        Next(cut);
        Next(cut);
        ChooseMachineType(cut, "small");
        Next(cut);
        Next(cut);
        cut.WaitForElement("input[data-testid=vm-name]");
        return cut;
    }

    private static void ChooseMachineType(IRenderedComponent<CreateVm> cut, string name) =>
        cut.FindAll(".mud-radio").Single(l => l.QuerySelector("b")?.TextContent == name).QuerySelector("input")!.Click();

    private static void Next(IRenderedComponent<CreateVm> cut) => cut.Find(".mud-stepper-actions button:last-child").Click();

    private ResourceService<VmSpec, VmStatus> Vms() => Services.GetRequiredService<ResourceService<VmSpec, VmStatus>>();
}
