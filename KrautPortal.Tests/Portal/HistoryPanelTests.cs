using System.Text.Json.Nodes;
using Bunit;
using KrautPortal.Components.Shared;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Portal;

/// <summary>The history tab on real services: versions listed, two compared side by side.</summary>
public sealed class HistoryPanelTests(HistoryPanelTests.App app) : PortalTestContext(app.Factory.Services), IClassFixture<HistoryPanelTests.App>
{
    public sealed class App : IDisposable
    {
        public KrautAppFactory Factory { get; } = new();
        public void Dispose() => Factory.Dispose();
    }

    [Fact]
    public async Task ShowsTheLatestTwoVersionsAsJson_WithTheChangedLineMarked()
    {
        var vms = Services.GetRequiredService<ResourceService<VmSpec, VmStatus>>();
        var image = await app.Factory.IdOfAsync("images", "kraut-test-guest");
        var type = await app.Factory.IdOfAsync("machine-types", "small");
        var vm = await vms.CreateAsync(new ResourceInput<VmSpec>("history-panel", new JsonObject { ["env"] = "dev" }, new VmSpec { ImageId = image, MachineTypeId = type }), CancellationToken.None);
        vm = await vms.UpdateMetadataAsync(vm.Id, vm.Version, new JsonObject { ["env"] = "prod" }, CancellationToken.None);

        var cut = RenderWithPopovers(b =>
        {
            b.OpenComponent<HistoryPanel<VmSpec, VmStatus>>(0);
            b.AddAttribute(1, nameof(HistoryPanel<VmSpec, VmStatus>.Id), vm.Id);
            b.AddAttribute(2, nameof(HistoryPanel<VmSpec, VmStatus>.CurrentVersion), vm.Version);
            b.CloseComponent();
        });

        cut.WaitForAssertion(() => Assert.Contains("Version 1 → version 2: 1 change(s)", cut.Markup), TimeSpan.FromSeconds(5));
        Assert.Equal(2, cut.FindAll("[data-testid=history-table] tbody tr").Count);
        Assert.Equal("\"env\": \"dev\"", cut.Find("[data-testid=diff-left] .changed").TextContent.Trim());
        Assert.Equal("\"env\": \"prod\"", cut.Find("[data-testid=diff-right] .changed").TextContent.Trim());
        Assert.Contains("\"name\": \"history-panel\"", cut.Find("[data-testid=diff-right]").TextContent);
    }
}
