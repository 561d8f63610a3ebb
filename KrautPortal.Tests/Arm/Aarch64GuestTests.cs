using System.Text.Json.Nodes;
using System.Xml.Linq;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;
using Xunit.Abstractions;

namespace KrautPortal.Tests.Arm;

/// <summary>
/// An aarch64 VM made through the API from the arm64 test guest and arm-small boots on the real libvirtd: emulated
/// (TCG) on an x86_64 host, natively where the host is arm64. Its seed, console shell and web page work as on x86_64.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class Aarch64GuestTests(Aarch64GuestFixture guest, ITestOutputHelper output) : IClassFixture<Aarch64GuestFixture>
{
    [Fact]
    public async Task TheVm_BootsFromItsOwnUefiLoader_ReadsItsSeed_GetsALease_AndServesHttp()
    {
        output.WriteLine($"aarch64 guest: create → KRAUT-GUEST-BOOTED {guest.ToBooted.TotalSeconds:0.0} s, → KRAUT-GUEST-READY {guest.ToReady.TotalSeconds:0.0} s");
        var log = GuestConsole.Read(guest.Console);
        Assert.Contains($"KRAUT-GUEST-SEED dev=/dev/sr0 instance-id={guest.VmId}", log, StringComparison.Ordinal);
        Assert.Contains("Linux version 6.", log, StringComparison.Ordinal);
        Assert.Contains("cloud-arm64", log, StringComparison.Ordinal);

        var vm = await guest.Api.GetAsync($"/api/v1/vms/{guest.VmId}");
        Assert.Equal("running", (string?)vm["status"]!["phase"]);
        Assert.Equal(TestHosts.System, (string?)vm["status"]!["host"]);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var page = await Eventually.WaitForAsync(async () =>
        {
            try
            {
                return await http.GetStringAsync($"http://{guest.Ready.Ip}/");
            }
            catch (HttpRequestException)
            {
                return null;
            }
        }, TimeSpan.FromSeconds(30), $"the aarch64 guest's web page at {guest.Ready.Ip}");
        Assert.Contains("ok", page, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDomain_IsAnEmulatedVirtMachineOnPlainAavmf()
    {
        using var connection = LibvirtConnection.Open(TestHosts.System);
        using var domain = connection.FindDomain(guest.VmId) ?? throw new InvalidOperationException($"no domain {guest.VmId}");
        var root = XElement.Parse(domain.GetXml(inactive: false));
        var hostArch = connection.GetCapabilities().HostArch;

        // Emulated (TCG) wherever the host is not arm64; on an arm64 host KVM when it works, the probe decides.
        if (hostArch != "aarch64") Assert.Equal("qemu", (string?)root.Attribute("type"));
        if (hostArch != "aarch64") Assert.Equal("cortex-a57", root.Element("cpu")!.Element("model")!.Value);
        var os = root.Element("os")!;
        Assert.Equal("aarch64", (string?)os.Element("type")!.Attribute("arch"));
        Assert.StartsWith("virt", (string?)os.Element("type")!.Attribute("machine"), StringComparison.Ordinal);
        Assert.Equal("/usr/share/AAVMF/AAVMF_CODE.fd", os.Element("loader")!.Value);
    }

    [Fact]
    public async Task ItsSerialConsole_AnswersATypedCommand()
    {
        using var serial = GuestSerial.Open(TestHosts.System, guest.VmId);
        await serial.WaitForShellAsync(TimeSpan.FromSeconds(30));
        var since = serial.Length;
        await serial.SendLineAsync("echo arch=$(uname -m) sum=$((20+22)) tty=$(tty)");
        // The whole answer line is waited for: under emulation the serial port delivers it in pieces, and a wait for
        // "sum=42" alone may return before "tty=…" has arrived.
        var answer = await serial.WaitForAsync("arch=aarch64 sum=42 tty=/dev/ttyAMA0", TimeSpan.FromSeconds(20), since);
        Assert.Contains("arch=aarch64 sum=42 tty=/dev/ttyAMA0", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheWizard_SaysWhichHostRunsTheMachineType_AndHow()
    {
        await using var portal = new Portal.PortalTestContext(guest.App.Services);
        var draft = new Features.Vms.Wizard.VmDraft { Image = Portal.Make.Image("arm", Features.MachineTypes.Architectures.Aarch64) };
        var cut = portal.Render<Features.Vms.Wizard.MachineTypeStep>(p => p.Add(x => x.Draft, draft)
            .Add(x => x.MachineTypes, new[] { Portal.Make.MachineType("arm-small", Features.MachineTypes.Architectures.Aarch64) })
            .Add(x => x.Hosts, guest.App.Service<Features.Hosts.HostRegistry>()));

        var line = Bunit.RenderedComponentExtensions.Find(cut, "[data-testid=machine-type-hosts]").TextContent.Trim();
        using var connection = LibvirtConnection.Open(TestHosts.System);
        Assert.Equal(connection.GetCapabilities().HostArch == "aarch64" ? "runs natively on qemu:///system" : "runs emulated on qemu:///system: slow", line);
    }

    [Fact]
    public async Task TheHostsApi_SaysHowTheHostRunsAarch64()
    {
        var hosts = (await guest.Api.GetArrayAsync("/api/v1/hosts")).Select(h => h!.AsObject()).ToList();
        var system = Assert.Single(hosts, h => (string?)h["uri"] == TestHosts.System);
        var arm = Assert.Single(system["architectureSupport"]!.AsArray(), a => (string?)a!["arch"] == "aarch64")!;
        output.WriteLine(string.Join(", ", system["architectureSupport"]!.AsArray().Select(a => (string?)a!["summary"])));
        using var connection = LibvirtConnection.Open(TestHosts.System);
        var hostArch = connection.GetCapabilities().HostArch;

        var own = system["architectureSupport"]!.AsArray().Single(a => (string?)a!["arch"] == hostArch)!;
        Assert.Equal(("native", true), ((string?)own["support"], (bool)own["allowed"]!));
        if (hostArch != "aarch64")
        {
            Assert.Equal("emulated", (string?)arm["support"]);
            Assert.Equal("aarch64: emulated (slow)", (string?)arm["summary"]);
            Assert.Contains("emulated (QEMU's TCG on " + hostArch + "): slow", (string?)arm["reason"], StringComparison.Ordinal);
        }
        // The test portal allows emulation, so the arch runs here either way.
        Assert.True((bool)arm["allowed"]!);
    }
}
