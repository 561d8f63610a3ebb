using System.Net;
using KrautPortal.Features.Seeding;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Arm;

/// <summary>
/// With Kraut:AllowEmulation=false (the default outside the tests) an x86_64 host refuses aarch64 VMs, which it could only
/// emulate, with a sentence saying how to allow it; nothing is created. On an arm64 host aarch64 is native and allowed.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class EmulationRefusedTests : IDisposable
{
    private readonly ApiClient _api = new(new KrautAppFactory(KrautAppFactory.SystemDriver, seedImage: SeedImages.GuestAndArm64,
        settings: new Dictionary<string, string?> { ["Kraut:AllowEmulation"] = "false" }));

    public void Dispose() => _api.Dispose();

    private static bool HostIsArm64()
    {
        using var connection = KrautPortal.Hypervisor.LibvirtConnection.Open(TestHosts.System);
        return connection.GetCapabilities().HostArch == "aarch64";
    }

    [Fact]
    public async Task CreatingAnAarch64Vm_OnAnX86Host_IsRefusedSayingHowToAllowEmulation()
    {
        Tool.PackagedFile("/usr/bin/qemu-system-aarch64", "qemu-system-arm");
        if (HostIsArm64()) return; // aarch64 is native there: nothing to refuse
        var seeded = await _api.SeededAsync();
        var body = await _api.SampleAsync("vms", ApiClient.UniqueName("arm-refused"));
        body["spec"]!["imageId"] = await _api.App.IdOfAsync("images", FirstRunSeeder.Arm64GuestImageName);
        body["spec"]!["machineTypeId"] = seeded.ArmSmallId;

        using var response = await _api.PostAsync("/api/v1/vms", body);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        var message = (string)problem["errors"]!["spec.machineTypeId"]!.AsArray().Single()!;
        Assert.Equal("No host can run aarch64 guests: qemu:///system can run aarch64 guests only emulated (QEMU's TCG on x86_64, "
            + "many times slower than native), which this portal does not allow: an admin allows it with Kraut:AllowEmulation=true.", message);
        Assert.Empty(await _api.ListAllAsync("vms"));

        var hosts = await _api.GetArrayAsync("/api/v1/hosts");
        var arm = hosts.Single(h => (string?)h!["uri"] == TestHosts.System)!["architectureSupport"]!.AsArray().Single(a => (string?)a!["arch"] == "aarch64")!;
        Assert.Equal("emulated", (string?)arm["support"]);
        Assert.False((bool)arm["allowed"]!);
        Assert.Equal("aarch64: emulated (slow), not allowed", (string?)arm["summary"]);
        // The wizard says the same where the machine type is chosen.
        await using var portal = new Portal.PortalTestContext(_api.App.Services);
        var draft = new Features.Vms.Wizard.VmDraft { Image = Portal.Make.Image("arm", Features.MachineTypes.Architectures.Aarch64) };
        var cut = portal.Render<Features.Vms.Wizard.MachineTypeStep>(p => p.Add(x => x.Draft, draft)
            .Add(x => x.MachineTypes, new[] { Portal.Make.MachineType("arm-small", Features.MachineTypes.Architectures.Aarch64) })
            .Add(x => x.Hosts, _api.App.Service<Features.Hosts.HostRegistry>()));
        Assert.Contains("only emulated", Bunit.RenderedComponentExtensions.Find(cut, "[data-testid=machine-type-hosts]").TextContent, StringComparison.Ordinal);

        // The host's own arch is native: the switch does not touch it.
        var x86 = hosts.Single(h => (string?)h!["uri"] == TestHosts.System)!["architectureSupport"]!.AsArray().Single(a => (string?)a!["arch"] == "x86_64")!;
        Assert.Equal(("native", true), ((string?)x86["support"], (bool)x86["allowed"]!));
    }
}
