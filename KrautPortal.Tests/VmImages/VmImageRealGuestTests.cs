using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features.Images;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;
using Xunit.Abstractions;

namespace KrautPortal.Tests.VmImages;

/// <summary>
/// An image made from a real guest on qemu:///system: a marker written by the guest into its disk (its overlay over the
/// test guest image), the VM stopped, the image made through the API and the pipeline, then a new VM from that image
/// boots and reads the marker back from its own disk: the overlay chain was flattened, nothing of the old VM is needed.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class VmImageRealGuestTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(180);
    private const int MarkerSector = 1024;

    private readonly KrautAppFactory _app = CreateApp();

    private static KrautAppFactory CreateApp()
    {
        Tool.PackagedFile("/usr/bin/qemu-system-x86_64", "qemu-system-x86");
        Tool.PackagedFile("/usr/bin/qemu-img", "qemu-utils");
        return new KrautAppFactory(KrautAppFactory.SystemDriver, SeedImages.Guest);
    }

    public void Dispose() => _app.Dispose(); // removes the instance's domains, networks and data directory

    [Fact]
    public async Task ImageFromAStoppedGuest_BootsANewVm_ThatReadsTheMarkerTheOldOneWrote()
    {
        var http = _app.CreateClient();
        var api = new KrautApi(http);
        var source = await api.CreateVmAsync(ApiClient.UniqueName("source"));
        await api.WaitForPhaseAsync(source, "running", Boot);
        var marker = await GuestSerial.WriteDiskMarkerAsync(TestHosts.System, source, MarkerSector, "KRAUT-IMAGE-");
        await api.ActAsync(source, "stop");
        await api.WaitForPhaseAsync(source, "stopped", TimeSpan.FromSeconds(90));

        var watch = Stopwatch.StartNew();
        using var response = await http.PostAsync($"/api/v1/vms/{source}/image", ApiClient.Json(new JsonObject { ["name"] = ApiClient.UniqueName("golden") }));
        var made = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, made.ToJsonString());
        var imageId = (Guid)made["id"]!;
        var phases = new List<string>();
        var image = await Eventually.WaitForAsync(async () =>
        {
            var current = await ApiClient.ReadAsync(await http.GetAsync($"/api/v1/images/{imageId}"));
            var phase = (string)current["status"]!["phase"]!;
            if (phases.Count == 0 || phases[^1] != phase) phases.Add(phase);
            return phase is "ready" or "failed" ? current : null;
        }, TimeSpan.FromSeconds(120), "the image to be ready");
        output.WriteLine($"image made in {watch.Elapsed.TotalSeconds:0.0} s through {string.Join(" → ", phases)}: {image["status"]!.ToJsonString()}");
        Assert.Equal("ready", (string)image["status"]!["phase"]!);
        Assert.Empty(image["status"]!["warnings"]!.AsArray());
        var stored = _app.Service<ImageStorage>().PathFor(imageId, ImageFormat.Qcow2);
        Assert.False((await QemuImg.InfoAsync(stored, "qcow2", CancellationToken.None)).HasBacking, "the image stands alone");

        // The old VM goes first: the new one owes it nothing.
        await api.DeleteVmAsync(source);
        await Eventually.WaitUntilAsync(async () => await api.GetVmAsync(source) is null, TimeSpan.FromSeconds(60), "the source VM to be gone");
        var body = new JsonObject
        {
            ["name"] = ApiClient.UniqueName("from-image"),
            ["spec"] = new JsonObject
            {
                ["imageId"] = imageId.ToString(),
                ["machineTypeId"] = (await api.IdOfAsync("machine-types", "small")).ToString(),
                ["memoryMiB"] = 256,
                ["nics"] = new JsonArray(new JsonObject { ["networkId"] = (await api.IdOfAsync("networks", "default")).ToString() }),
            },
        };
        var copy = await api.CreateAsync("vms", body);
        await api.WaitForPhaseAsync(copy, "running", Boot);
        Assert.Contains(marker, await Hypervisor.LiveMigrationTests.ReadViaGuestAsync(TestHosts.System, copy, MarkerSector), StringComparison.Ordinal);

        await api.DeleteVmAsync(copy);
        await Eventually.WaitUntilAsync(async () => await api.GetVmAsync(copy) is null, TimeSpan.FromSeconds(60), "the new VM to be gone");
        (await http.DeleteAsync($"/api/v1/images/{imageId}")).EnsureSuccessStatusCode();
        Assert.False(File.Exists(stored), "the image's content goes with it");
    }
}
