using System.Net.Http.Json;
using System.Text.Json;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Integration;

/// <summary>
/// The foundation end to end on real libvirtd + QEMU, in ordered steps on ONE guest (<see cref="SharedRealGuest"/>; a
/// TCG boot costs 15–30 s here): a reboot pressed while the freshly started guest still boots really reboots it (this
/// step needs the VM new, so it comes first); a NIC is hot-plugged into the running guest and unplugged again (it leaves
/// the VM's first NIC as it was); then the guest takes a DHCP address, serves its page to the host, stops by ACPI, and
/// leaves nothing behind when destroyed (last: it deletes the VM). Each step run alone gets a guest of its own.
/// </summary>
[Collection(RealQemuCollection.Name)]
[TestCaseOrderer(StepOrderer.TypeName, StepOrderer.AssemblyName)]
public sealed class RealGuestLifecycleTests(SharedRealGuest guest) : IClassFixture<SharedRealGuest>
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(90);
    private readonly KrautAppFactory _app = guest.App;
    private readonly KrautApi _api = guest.Api;

    [Fact, Step(3)]
    public async Task CreatedVm_BootsServesHttpStopsAndIsDestroyedWithoutLeftovers()
    {
        var id = await guest.RunningVmAsync();

        // The guest really booted: its serial console says so, with the address DHCP gave it (on its latest boot: the
        // steps before rebooted it).
        var console = Path.Combine(_app.DataDirectory, "consoles", $"{id}.log");
        var (_, ip, mac) = await GuestConsole.WaitForReadyAsync(console, Boot, count: Math.Max(1, Boots(console)));
        var vm = (await _api.GetVmAsync(id))!.Value;

        // Its consoles: a shell answers on libvirt's console stream, virtlogd still writes the log, VNC has its socket.
        Assert.True(File.Exists(Path.Combine(_app.DataDirectory, "vnc", $"{id:N}.sock")), "QEMU listens on the VM's VNC socket");
        using (var serial = GuestSerial.Open(KrautAppFactory.SystemDriver, id))
        {
            await serial.WaitForShellAsync(Boot);
            await serial.SendLineAsync("echo console-$((6*7))-$(hostname)");
            await serial.WaitForAsync("console-42-", Boot);
        }
        await Eventually.WaitUntilAsync(() => GuestConsole.Read(console).Contains("console-42-", StringComparison.Ordinal), Boot,
            "the console's answer in the log file");
        Assert.Equal(mac, vm.GetProperty("spec").GetProperty("nics")[0].GetProperty("mac").GetString());

        // The host reaches the guest's web server over the VM network.
        using var guestHttp = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var page = await Eventually.WaitForAsync(async () =>
        {
            try
            {
                return await guestHttp.GetStringAsync($"http://{ip}/");
            }
            catch (HttpRequestException)
            {
                return null;
            }
        }, TimeSpan.FromSeconds(30), $"HTTP from the guest at {ip}");
        Assert.Contains("kraut-guest", page, StringComparison.Ordinal);

        // Kraut saw the address too (from the network's DHCP leases).
        await Eventually.WaitUntilAsync(async () =>
            (await _api.GetVmAsync(id))!.Value.GetProperty("status").GetProperty("addresses").EnumerateArray()
                .Any(a => a.GetProperty("address").GetString() == ip), TimeSpan.FromSeconds(30), "the address in the VM's status");

        // Stop asks the guest by ACPI; this guest honours it well inside the timeout.
        await _api.ActAsync(id, "stop");
        await _api.WaitForPhaseAsync(id, "stopped", TimeSpan.FromSeconds(45));
        using (var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver))
        using (var domain = libvirt.FindDomain(id))
        {
            Assert.NotNull(domain);
            Assert.Equal(DomainState.Shutoff, domain.GetState());
        }

        var overlay = Path.Combine(_app.DataDirectory, "disks", $"{id}.qcow2");
        Assert.True(File.Exists(overlay), "the VM's overlay exists while the VM does");
        var info = await QemuImg.InfoAsync(overlay, "qcow2", CancellationToken.None);
        Assert.True(info.HasBacking, "the disk is an overlay on the image, not a copy");
        Assert.True(new FileInfo(overlay).Length < new FileInfo(TestGuest.ImagePath).Length, "the overlay holds only the guest's writes");

        await _api.DeleteVmAsync(id);
        await Eventually.WaitUntilAsync(async () => await _api.GetVmAsync(id) is null, TimeSpan.FromSeconds(30), "the VM to be gone");
        guest.Forget();
        using (var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver))
        {
            Assert.Null(libvirt.FindDomain(id));
        }
        Assert.False(File.Exists(overlay), "the overlay is removed with the VM");
        Assert.False(File.Exists(console), "the console log is removed with the VM");
        Assert.False(File.Exists(Path.Combine(_app.DataDirectory, "vnc", $"{id:N}.sock")), "the VNC socket is removed with the VM");
        Assert.Empty(Directory.GetFiles(Path.Combine(_app.DataDirectory, "disks")));
    }

    [Fact, Step(2)]
    public async Task NicAddedToRunningVm_IsHotPluggedAndRemovedAgain()
    {
        var id = await guest.RunningVmAsync();
        var networkId = await _api.IdOfAsync("networks", "default");

        var response = await _api.Http.PostAsJsonAsync($"/api/v1/vms/{id}/nics", new { networkId });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var nic = await response.Content.ReadFromJsonAsync<JsonElement>();
        var mac = nic.GetProperty("mac").GetString()!;
        var nicId = nic.GetProperty("id").GetGuid();

        string LiveXml()
        {
            using var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver);
            using var domain = libvirt.FindDomain(id)!;
            return domain.GetXml();
        }
        await Eventually.WaitUntilAsync(() => DomainXml.Parse(LiveXml()).Macs.Contains(mac), TimeSpan.FromSeconds(30), "the NIC in the running domain");
        Assert.Equal(DomainState.Running, DomainStateOf(id));

        (await _api.Http.DeleteAsync($"/api/v1/vms/{id}/nics/{nicId}")).EnsureSuccessStatusCode();
        // Unplugging needs the guest's cooperation (ACPI); the persistent definition drops it at once.
        await Eventually.WaitUntilAsync(() => !DomainXml.Parse(LiveXml()).Macs.Contains(mac), TimeSpan.FromSeconds(60), "the NIC to leave the running domain");
    }

    [Fact, Step(1)]
    public async Task RebootRightAfterStart_ReallyReboots_AndStatusSaysRebootingUntilItIsBack()
    {
        var id = await guest.NewRunningVmAsync();
        var console = Path.Combine(_app.DataDirectory, "consoles", $"{id}.log");

        // Pressed while the guest still boots (QEMU runs, the kernel has not started its ACPI daemon): that press is lost.
        await _api.ActAsync(id, "reboot");
        await _api.WaitForPhaseAsync(id, "rebooting", TimeSpan.FromSeconds(10));

        // The guest really boots a second time (its console says so), and status is "rebooting" until it did.
        await Eventually.WaitUntilAsync(() => Task.FromResult(Boots(console) >= 2), Boot, "a second boot on the guest's console");
        await _api.WaitForPhaseAsync(id, "running", TimeSpan.FromSeconds(30));
        var status = (await _api.GetVmAsync(id))!.Value.GetProperty("status");
        Assert.False(status.TryGetProperty("rebootRequestedAt", out var pending) && pending.ValueKind != JsonValueKind.Null, "the reboot is no longer pending");
        Assert.Contains("KRAUT-GUEST-POWEROFF", GuestConsole.Read(console), StringComparison.Ordinal);
        Assert.Equal(DomainState.Running, DomainStateOf(id));

        // Only one reboot was asked for: no third boot follows from a press repeated too often.
        await Task.Delay(KrautPortal.Features.Vms.VmReconciler.RebootRetryInterval + TimeSpan.FromSeconds(5));
        Assert.Equal(2, Boots(console));
        // The VM stays for the next steps; the last one deletes it.
    }

    private static int Boots(string console) =>
        System.Text.RegularExpressions.Regex.Count(GuestConsole.Read(console), "KRAUT-GUEST-BOOTED");

    private static DomainState DomainStateOf(Guid id)
    {
        using var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver);
        using var domain = libvirt.FindDomain(id)!;
        return domain.GetState();
    }

}
