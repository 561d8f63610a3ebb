using System.Diagnostics;
using System.Text.Json.Nodes;
using KrautPortal.Features;
using KrautPortal.Features.Seeding;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Arm;

/// <summary>
/// One aarch64 VM (the arm64 test guest, machine type arm-small, a NIC on the seeded DHCP network) created through the API
/// on the real qemu:///system, booted once for the whole class: on an x86_64 host it runs under TCG, which is slow.
/// </summary>
public sealed class Aarch64GuestFixture : IAsyncLifetime
{
    public static readonly TimeSpan Boot = TimeSpan.FromSeconds(90);

    public KrautAppFactory App { get; } = new(KrautAppFactory.SystemDriver, seedImage: SeedImages.GuestAndArm64);
    public ApiClient Api { get; private set; } = default!;
    public Guid VmId { get; private set; }
    public string Console => App.Service<KrautPaths>().ConsoleFor(VmId);

    /// <summary>From the create call to the guest's KRAUT-GUEST-BOOTED line, and to its DHCP lease (KRAUT-GUEST-READY).</summary>
    public TimeSpan ToBooted { get; private set; }
    public TimeSpan ToReady { get; private set; }
    public ReadyLine Ready { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Tool.PackagedFile("/usr/bin/qemu-system-aarch64", "qemu-system-arm");
        Tool.PackagedFile("/usr/share/AAVMF/AAVMF_CODE.fd", "qemu-efi-aarch64");
        Api = new ApiClient(App);
        var seeded = await Api.SeededAsync();
        var body = await Api.SampleAsync("vms", ApiClient.UniqueName("arm"));
        body["spec"]!["imageId"] = await App.IdOfAsync("images", FirstRunSeeder.Arm64GuestImageName);
        body["spec"]!["machineTypeId"] = seeded.ArmSmallId;
        body["spec"]!["memoryMiB"] = 512;
        body["spec"]!["nics"] = new JsonArray(new JsonObject { ["networkId"] = seeded.DefaultNetworkId });

        var clock = Stopwatch.StartNew();
        VmId = (Guid)(await Api.CreateAsync("vms", body))["id"]!;
        try
        {
            await Eventually.WaitUntilAsync(() => File.Exists(Console) && GuestConsole.Read(Console).Contains("KRAUT-GUEST-BOOTED", StringComparison.Ordinal),
                Boot, "KRAUT-GUEST-BOOTED on the aarch64 guest's console");
            ToBooted = clock.Elapsed;
            Ready = await GuestConsole.WaitForReadyAsync(Console, Boot - clock.Elapsed);
            ToReady = clock.Elapsed;
        }
        catch (TimeoutException e)
        {
            var text = File.Exists(Console) ? GuestConsole.Read(Console) : "(no console log)";
            var status = (await Api.GetAsync($"/api/v1/vms/{VmId}"))["status"]?.ToJsonString();
            throw new TimeoutException($"{e.Message}; VM status: {status}; console tail: {(text.Length > 1500 ? text[^1500..] : text)}", e);
        }
    }

    public Task DisposeAsync()
    {
        Api?.Dispose(); // disposes the app, which removes the instance's domains (with their NVRAM) and disks
        return Task.CompletedTask;
    }
}
