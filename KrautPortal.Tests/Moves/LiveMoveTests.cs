using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautPortal.Features;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Vms;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;
using Xunit.Abstractions;

namespace KrautPortal.Tests.Moves;

/// <summary>
/// A running VM moved live through the portal's move API, between the portal's own machine (qemu:///system) and a
/// simulated host (qemu+tcp over a veth): libvirt's live migration with the overlay's top layer copied to the one the
/// move made on the target, while curl asks the guest's web server for a page from both hosts' sides.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class LiveMoveTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan MoveTime = TimeSpan.FromSeconds(180);
    private const int MarkerSector = 1024;

    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("kraut-test-").FullName;
    private SimulatedHost? _host;
    private KrautAppFactory? _app;

    private SimulatedHost Host => _host!;

    private KrautAppFactory App => _app!;

    public async Task InitializeAsync()
    {
        Tool.PackagedFile("/usr/bin/qemu-system-x86_64", "qemu-system-x86");
        Tool.PackagedFile("/usr/bin/qemu-img", "qemu-utils");
        SeedImages.Put(_dataDirectory, SeedImages.Guest);
        // The portal's data directory is hidden from the simulated host: a VM there must find everything in its pool.
        _host = await SimulatedHost.StartAsync([_dataDirectory]);
        _app = new KrautAppFactory(TestHosts.System, SeedImages.Guest, new Dictionary<string, string?> { ["Kraut:Hosts:1"] = Host.Uri },
            dataDirectory: _dataDirectory);
    }

    [Fact]
    public async Task RunningVm_MovedThroughTheApi_KeepsAnsweringHttp_RunsOnlyOnTheTarget_WithItsDisk_AndNothingLeftOnTheSource()
    {
        var admin = App.CreateClient();
        var api = new KrautApi(admin);
        var id = await api.CreateVmAsync(Api.ApiClient.UniqueName("live"));
        await api.WaitForPhaseAsync(id, "running", Boot);
        var vm = (await api.GetVmAsync(id))!.Value;
        var source = vm.GetProperty("status").GetProperty("host").GetString()!;
        var target = source == TestHosts.System ? Host.Uri : TestHosts.System;
        var domain = VmBuilder.DomainName(id);
        var ip = await Eventually.WaitForAsync(async () => (await api.GetVmAsync(id))?.GetProperty("status").GetProperty("addresses")
                .EnumerateArray().Select(a => a.GetProperty("address").GetString()).FirstOrDefault(a => a is not null && !a.Contains(':', StringComparison.Ordinal)),
            Boot, "the VM's IPv4 address");
        output.WriteLine($"VM {id} runs on {source} at {ip}; moving it to {target}");

        string SideOf(string uri) => uri == TestHosts.System ? "host" : Host.Namespace;
        await using var http = new HttpContinuity(ip, [null, Host.Namespace]);
        await http.WaitForAnswerAsync(SideOf(source), TimeSpan.Zero, TimeSpan.FromSeconds(90));
        var marker = await WriteMarkerAsync(source, id);

        // A snapshot would stop the migration (libvirt refuses to migrate a domain with snapshots): the move is refused
        // up front, naming the snapshots and the way out; once it is deleted, the VM moves.
        var snapshot = JsonNode.Parse(await (await admin.PostAsJsonAsync($"/api/v1/vms/{id}/snapshots",
            new JsonObject { ["name"] = Api.ApiClient.UniqueName("in-the-way") })).Content.ReadAsStringAsync())!["id"]!.ToString();
        await Snapshots.SnapshotWaits.WaitForAsync(admin, Guid.Parse(snapshot), s => (string?)s["status"]?["phase"] == "ready", MoveTime, "the snapshot");
        using (var refused = await admin.PostAsJsonAsync($"/api/v1/vms/{id}/move", new JsonObject { ["host"] = target }))
        {
            var problem = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == System.Net.HttpStatusCode.Conflict, problem);
            Assert.Contains("1 snapshot(s), which live migration cannot carry", problem, StringComparison.Ordinal);
        }
        (await admin.DeleteAsync($"/api/v1/snapshots/{snapshot}")).EnsureSuccessStatusCode();
        await Eventually.WaitUntilAsync(async () => (await admin.GetAsync($"/api/v1/snapshots/{snapshot}")).StatusCode == System.Net.HttpStatusCode.NotFound,
            MoveTime, "the snapshot to go");

        var start = http.Now;
        var watch = Stopwatch.StartNew();
        using (var response = await admin.PostAsJsonAsync($"/api/v1/vms/{id}/move", new JsonObject { ["host"] = target }))
            Assert.True(response.IsSuccessStatusCode, $"move: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        JsonElement status = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            status = (await api.GetVmAsync(id))!.Value.GetProperty("status");
            return status.GetProperty("host").GetString() == target && (!status.TryGetProperty("move", out var move) || move.ValueKind == JsonValueKind.Null)
                && status.GetProperty("phase").GetString() == "running";
        }, MoveTime, "the VM to run on the target with its move finished");
        var moved = watch.Elapsed;
        var end = http.Now;
        await Eventually.WaitUntilAsync(() => http.AnswersFrom(SideOf(target), end) >= 5, TimeSpan.FromSeconds(30), "answers from the target's side");
        var gap = http.LongestGap(start, http.Now);
        output.WriteLine($"moved live in {moved.TotalSeconds:0.0} s (request to status); longest HTTP gap {gap.TotalMilliseconds:0} ms; status: {status}");

        Assert.True(status.GetProperty("lastMove").GetProperty("live").GetBoolean());
        Assert.True(!status.TryGetProperty("lastError", out var error) || error.ValueKind == JsonValueKind.Null, $"lastError: {error}");
        Assert.InRange(gap, TimeSpan.Zero, Hypervisor.LiveMigrationTests.MaxGap);
        // Only on the target, defined there for good; gone from the source, files and all.
        Assert.Contains(domain, Virsh(target, "list", "--persistent", "--name"));
        Assert.Equal("running", Virsh(target, "domstate", domain).Trim());
        Assert.DoesNotContain(domain, Virsh(source, "list", "--all", "--name"));
        // Read by the guest past its page cache: the only disk it has now is the target's overlay.
        Assert.Contains(marker, await Hypervisor.LiveMigrationTests.ReadViaGuestAsync(target, id, MarkerSector), StringComparison.Ordinal);
        // And in the overlay file there (a second marker's sync flushes QEMU's qcow2 metadata to it).
        var second = await WriteMarkerAsync(target, id, MarkerSector + 1);
        Assert.Equal(marker, ReadSector(target, id, MarkerSector));
        Assert.Equal(second, ReadSector(target, id, MarkerSector + 1));
        Assert.Empty(SourceFiles(source, id));
    }

    private string Virsh(string uri, params string[] args) => uri == TestHosts.System ? Tool.Run("virsh", ["-c", uri, .. args]) : Host.Virsh(args);

    private static Task<string> WriteMarkerAsync(string uri, Guid id, int sector = MarkerSector) =>
        GuestSerial.WriteDiskMarkerAsync(uri, id, sector, "KRAUT-MOVE-");

    /// <summary>(qemu-img dd counts from the start of the image, so count is one past the sector.) The marker's sector of the VM's disk on <paramref name="uri"/>, read on that host (its backing image is where only it sees it).</summary>
    private string ReadSector(string uri, Guid id, int sector)
    {
        if (uri == TestHosts.System)
        {
            return QcowSector.Text(App.Service<KrautPaths>().DiskFor(id), sector);
        }
        var pool = $"{SimulatedHost.DataDirectory}/{App.Service<KrautInstance>().ShortId}";
        var outFile = $"{SimulatedHost.DataDirectory}/{id:N}.sector";
        var read = Host.TryInside("qemu-img", "dd", "-U", "-f", "qcow2", "-O", "raw", "bs=512", $"skip={sector}", $"count={sector + 1}",
            $"if={pool}/{VmVolumes.DiskVolume(id)}", $"of={outFile}");
        Assert.True(read.ExitCode == 0, read.StdErr);
        var outside = Path.Combine(Host.DataDirectoryOutside, $"{id:N}.sector");
        try
        {
            return System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(outside)).TrimEnd('\0');
        }
        finally
        {
            File.Delete(outside);
        }
    }

    /// <summary>What of the VM is left on <paramref name="uri"/>: its files in the data directory here, its volumes in the pool there.</summary>
    private List<string> SourceFiles(string uri, Guid id)
    {
        if (uri == TestHosts.System)
        {
            var paths = App.Service<KrautPaths>();
            return new[] { paths.DiskFor(id), paths.SeedIsoFor(id), paths.ConsoleFor(id) }.Where(File.Exists).ToList();
        }
        var pool = Path.Combine(Host.DataDirectoryOutside, App.Service<KrautInstance>().ShortId);
        return Directory.Exists(pool)
            ? Directory.EnumerateFiles(pool).Select(Path.GetFileName).OfType<string>().Where(f => f.StartsWith(id.ToString("D"), StringComparison.Ordinal)).ToList()
            : [];
    }

    public Task DisposeAsync()
    {
        // The data directory is the test's, so the portal leaves this machine's libvirtd to it: a VM moved here (and
        // its network) goes here.
        var instance = _app?.Service<KrautInstance>().Id;
        _app?.Dispose();
        if (instance is not null) LibvirtCleanup.RemoveInstance(TestHosts.System, instance);
        _host?.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // a temp directory
        }
        return Task.CompletedTask;
    }
}
