using Bunit;
using KrautPortal.Features;
using KrautPortal.Features.Images.Pages;
using KrautPortal.Features.Vms.Pages;
using KrautPortal.Tests.Portal;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.VmImages;

/// <summary>
/// The VM page's Make image… on real services (libvirt's test driver): disabled with the reason while the VM runs; for a
/// stopped VM a dialog that makes the image and links to it; the image then shows in the image list and in the create-VM
/// wizard like any other.
/// </summary>
public sealed class VmImagePageTests : OwnPortalTestContext
{
    public VmImagePageTests() : base(new KrautAppFactory())
    {
        // bUnit's own container answers IEnumerable<T> itself (empty) before falling back to the portal's: hand it the
        // actions the portal registered, so the page shows what KrautSetup put in its slot.
        foreach (var action in App.Services.GetServices<IVmPageAction>()) Services.AddSingleton(action);
    }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task MakeImage_IsDisabledWithTheReason_WhileTheVmRuns()
    {
        var api = new KrautApi(App.CreateClient());
        var id = await api.CreateVmAsync(Api.ApiClient.UniqueName("running"));
        await api.WaitForPhaseAsync(id, "running", Wait);

        var cut = RenderPage(id);

        cut.WaitForAssertion(() => Assert.True(cut.Find("button[data-testid=action-make-image]").HasAttribute("disabled")), Wait);
        Assert.Contains("stop the VM first", cut.Find("button[data-testid=action-make-image]").GetAttribute("data-why-not"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MakeImage_OfAStoppedVm_LinksToTheNewImage_WhichTheListAndTheWizardOffer()
    {
        var api = new KrautApi(App.CreateClient());
        var id = await api.CreateVmAsync(Api.ApiClient.UniqueName("golden"));
        await api.WaitForPhaseAsync(id, "running", Wait);
        await api.ActAsync(id, "stop");
        await api.WaitForPhaseAsync(id, "stopped", Wait);
        // A boot sector in the guest's disk, so the image has no boot warning (the wizard hides images with warnings).
        Tool.Run("qemu-io", "-f", "qcow2", "-c", "write -P 0x55 510 1", "-c", "write -P 0xaa 511 1", App.Service<KrautPaths>().DiskFor(id));
        var name = Api.ApiClient.UniqueName("made");

        var cut = RenderPage(id);
        cut.WaitForAssertion(() => Assert.False(cut.Find("button[data-testid=action-make-image]").HasAttribute("disabled")), Wait);
        cut.Find("button[data-testid=action-make-image]").Click();
        cut.WaitForAssertion(() => cut.Find("input[data-testid=make-image-name]"), Wait);
        cut.Find("input[data-testid=make-image-name]").Change(name);
        cut.Find("button[data-testid=make-image-confirm]").Click();

        cut.WaitForAssertion(() => Assert.Equal(name, cut.Find("[data-testid=make-image-link]").TextContent.Trim()), Wait);
        var imageId = await App.IdOfAsync("images", name);
        Assert.Equal($"images/{imageId}", cut.Find("[data-testid=make-image-link]").GetAttribute("href"));

        // (The page above holds the one popover provider a test context may have.)
        var list = Render<ImageList>();
        list.WaitForAssertion(() => Assert.Contains(list.FindAll("[data-testid=resource-table] tbody tr"),
            r => r.TextContent.Contains(name, StringComparison.Ordinal) && r.TextContent.Contains("ready", StringComparison.Ordinal)), Wait);
        var wizard = Render<CreateVm>();
        wizard.WaitForAssertion(() => Assert.Contains(wizard.FindAll(".mud-radio"), r => r.TextContent.Contains(name, StringComparison.Ordinal)), Wait);
    }

    private IRenderedComponent<Bunit.Rendering.ContainerFragment> RenderPage(Guid id) => RenderWithDialogs(b =>
    {
        b.OpenComponent<VmDetail>(0);
        b.AddAttribute(1, nameof(VmDetail.Id), id);
        b.CloseComponent();
    });
}
