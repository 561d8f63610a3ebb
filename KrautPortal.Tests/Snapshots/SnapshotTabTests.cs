using System.Text.Json.Nodes;
using AngleSharp.Dom;
using Bunit;
using Bunit.Rendering;
using KrautPortal.Features.Snapshots;
using KrautPortal.Features.Snapshots.Pages;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Tests.Images;
using KrautPortal.Tests.Portal;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;
using PortalApp = KrautPortal.Tests.Support.PortalApp;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Snapshots;

/// <summary>
/// The VM page's Snapshots tab on real services and the test driver: empty state, taking one through its form, live
/// phase, revert and delete each behind a confirmation that says what changes; a UEFI VM's button disabled with the reason.
/// </summary>
public sealed class SnapshotTabTests : PortalTestContext, IClassFixture<PortalApp>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly PortalApp _app;
    private readonly KrautApi _api;

    public SnapshotTabTests(PortalApp app) : base(app.Services)
    {
        _app = app;
        _api = new KrautApi(app.Factory.CreateClient());
        // bUnit answers IEnumerable<T> from its own container (empty): the row actions the portal registers.
        Services.AddSingleton<ISnapshotRowAction, Features.VmImages.Pages.SnapshotImageRowAction>();
    }

    private async Task<Resource<VmSpec, VmStatus>> RunningVmAsync(Guid id)
    {
        await _api.WaitForPhaseAsync(id, "running", Wait);
        return await Services.GetRequiredService<ResourceService<VmSpec, VmStatus>>().GetAsync(id, CancellationToken.None);
    }

    private IRenderedComponent<ContainerFragment> RenderTab(Resource<VmSpec, VmStatus> vm) =>
        RenderWithDialogs(b =>
        {
            b.OpenComponent<VmSnapshotsTab>(0);
            b.AddAttribute(1, nameof(VmSnapshotsTab.Vm), vm);
            b.CloseComponent();
        });

    private static IElement DialogButton(IRenderedComponent<ContainerFragment> cut, string text) =>
        cut.FindAll(".mud-dialog button").First(b => b.TextContent.Trim() == text);

    [Fact]
    public async Task TheTab_TakesASnapshot_ShowsItReady_RevertsAndDeletes_WithConfirmations()
    {
        var vm = await RunningVmAsync(await _api.CreateVmAsync(Api.ApiClient.UniqueName("tab")));
        var cut = RenderTab(vm);
        cut.WaitForAssertion(() => Assert.Contains("No snapshots yet", cut.Find("[data-testid=snapshots-empty]").TextContent, StringComparison.Ordinal), Wait);

        cut.Find("button[data-testid=snapshot-take]").Click();
        cut.WaitForAssertion(() => Assert.Contains("its memory is saved too", cut.Find("[data-testid=snapshot-form]").TextContent, StringComparison.Ordinal), Wait);
        Assert.StartsWith(vm.Name + "-", cut.Find("input[data-testid=snapshot-name]").GetAttribute("value"), StringComparison.Ordinal);
        await cut.InvokeAsync(() => cut.Find("button[data-testid=snapshot-submit]").Click());
        cut.WaitForAssertion(() =>
        {
            var row = cut.Find("[data-testid=snapshot-row]");
            Assert.True(row.GetAttribute("data-phase") == "ready", row.TextContent);
            Assert.Contains("yes (running)", row.TextContent, StringComparison.Ordinal);
            Assert.False(row.QuerySelector("button[data-testid=snapshot-revert]")!.HasAttribute("disabled"));
        }, Wait);
        var id = Guid.Parse(cut.Find("[data-testid=snapshot-row]").GetAttribute("data-id")!);

        await cut.InvokeAsync(() => cut.Find("button[data-testid=snapshot-revert]").Click());
        cut.WaitForAssertion(() => Assert.Contains("disk and memory go back to", cut.Find(".mud-dialog").TextContent, StringComparison.Ordinal), Wait);
        Assert.Contains("is lost", cut.Find(".mud-dialog").TextContent, StringComparison.Ordinal);
        await cut.InvokeAsync(() => DialogButton(cut, "Revert").Click());
        await Eventually.WaitUntilAsync(async () => (await SnapshotAsync(id)).Status.ObservedRevertGeneration == 1, Wait, "the revert");

        await cut.InvokeAsync(() => cut.Find("button[data-testid=snapshot-delete]").Click());
        cut.WaitForAssertion(() => Assert.Contains("The VM itself does not change", cut.Find(".mud-dialog").TextContent, StringComparison.Ordinal), Wait);
        await cut.InvokeAsync(() => DialogButton(cut, "Delete").Click());
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=snapshots-empty]")), Wait);
    }

    [Fact]
    public async Task AUefiVm_HasTheTakeButtonDisabled_WithTheReasonShown()
    {
        using var dir = new TempDir();
        var blank = dir["blank.qcow2"];
        Tool.Run("qemu-img", "create", "-q", "-f", "qcow2", blank, "64M");
        var image = await ImageArrival.ArriveAsync(_app.Factory, Api.ApiClient.UniqueName("tab-uefi"), blank, new JsonObject { ["firmware"] = "uefi", ["architecture"] = "x86_64" });
        await ImageArrival.ReadyAsync(_app.Factory, image);
        var vms = Services.GetRequiredService<ResourceService<VmSpec, VmStatus>>();
        var created = await vms.CreateAsync(new ResourceInput<VmSpec>(Api.ApiClient.UniqueName("tab-uefi"), [], new VmSpec
        {
            ImageId = image,
            MachineTypeId = await _api.IdOfAsync("machine-types", "small"),
            Nics = [new VmNic { NetworkId = await _api.IdOfAsync("networks", "default") }],
        }), CancellationToken.None);
        var vm = await RunningVmAsync(created.Id);

        var cut = RenderTab(vm);
        cut.WaitForAssertion(() => Assert.Contains("UEFI", cut.Find("[data-testid=snapshot-why-not]").TextContent, StringComparison.Ordinal), Wait);
        Assert.True(cut.Find("button[data-testid=snapshot-take]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task ASnapshotsRow_MakesAnImageFromIt_TheDialogSayingWhatIsCopied_AndLinkingTheNewImage()
    {
        var vm = await RunningVmAsync(await _api.CreateVmAsync(Api.ApiClient.UniqueName("tab-img")));
        var name = Api.ApiClient.UniqueName("snap-img");
        using var taken = await _api.Http.PostAsync($"/api/v1/vms/{vm.Id}/snapshots",
            new System.Net.Http.StringContent(new JsonObject { ["name"] = name }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        Assert.True(taken.IsSuccessStatusCode, await taken.Content.ReadAsStringAsync());
        var id = Guid.Parse((string)JsonNode.Parse(await taken.Content.ReadAsStringAsync())!["id"]!);
        await Eventually.WaitUntilAsync(async () => (await SnapshotAsync(id)).Status.Phase == SnapshotPhase.Ready, Wait, "the snapshot ready");
        // The test driver keeps snapshots in memory only: the VM's real qcow2 disk gets the same internal snapshot by hand,
        // so the image has the snapshot's disk to copy.
        // (qemu-img snapshot has no -f: the format is forced through --image-opts.)
        Tool.Run("qemu-img", "snapshot", "-q", "-c", id.ToString("D"), "--image-opts",
            $"driver=qcow2,file.filename={Services.GetRequiredService<Features.KrautPaths>().DiskFor(vm.Id)}");

        var cut = RenderTab(vm);
        cut.WaitForAssertion(() => Assert.False(cut.Find("button[data-testid=snapshot-make-image]").HasAttribute("disabled")), Wait);
        await cut.InvokeAsync(() => cut.Find("button[data-testid=snapshot-make-image]").Click());
        cut.WaitForAssertion(() => Assert.Contains($"as snapshot {name} kept it", cut.Find("[data-testid=make-image-what]").TextContent, StringComparison.Ordinal), Wait);
        Assert.Contains("the VM may keep running", cut.Find("[data-testid=make-image-what]").TextContent, StringComparison.Ordinal);
        Assert.Equal($"{name}-image", cut.Find("input[data-testid=make-image-name]").GetAttribute("value"));

        await cut.InvokeAsync(() => cut.Find("button[data-testid=make-image-confirm]").Click());
        cut.WaitForAssertion(() => Assert.Contains($"snapshot {name} of {vm.Name}", cut.Find("[data-testid=make-image-done]").TextContent, StringComparison.Ordinal), Wait);
        var imageId = Guid.Parse(cut.Find("[data-testid=make-image-link]").GetAttribute("href")!["images/".Length..]);
        await Eventually.WaitUntilAsync(async () =>
            (string?)JsonNode.Parse(await _api.Http.GetStringAsync($"/api/v1/images/{imageId}"))!["status"]!["phase"] == "ready", Wait, "the image made from the snapshot ready");
    }

    private async Task<Resource<SnapshotSpec, SnapshotStatus>> SnapshotAsync(Guid id) =>
        await StoredAsync<SnapshotSpec, SnapshotStatus>(Kinds.Snapshots, id) ?? throw new InvalidOperationException($"Snapshot {id} is gone.");
}
