using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using KrautPortal.Features.Capacity;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Auth;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Capacity;

/// <summary>A portal on libvirt's test driver with overcommit configured and one person who is not an administrator.</summary>
public sealed class CapacityPortal : IDisposable
{
    public const double CpuOvercommit = 2.5;
    public const double MemoryOvercommit = 1.5;
    public const long ReserveMiB = 512;
    private const string UserPassword = "erin-Capacity-4d1f8a";
    private readonly TempDir _dir = new();

    public CapacityPortal()
    {
        var users = _dir.File("htpasswd");
        HtpasswdTool.Set(users, "-B", "erin", UserPassword);
        App = new KrautAppFactory(settings: new Dictionary<string, string?>
        {
            ["Auth:Htpasswd:File"] = users,
            ["Capacity:CpuOvercommit"] = "2.5",
            ["Capacity:MemoryOvercommit"] = "1.5",
            ["Capacity:HostMemoryReserveMiB"] = "512",
        });
        Admin = App.CreateClient();
        User = App.CreateAnonymousClient();
        User.DefaultRequestHeaders.TryAddWithoutValidation("Authorization",
            "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"erin:{UserPassword}")));
        Api = new KrautApi(Admin);
    }

    public KrautAppFactory App { get; }
    public HttpClient Admin { get; }
    public HttpClient User { get; }
    public KrautApi Api { get; }

    public async Task<InstallationCapacity> CapacityAsync() =>
        (await Admin.GetFromJsonAsync<InstallationCapacity>("/api/v1/capacity", KrautAppFactory.Json))!;

    public void Dispose()
    {
        Admin.Dispose();
        User.Dispose();
        App.Dispose();
        _dir.Dispose();
    }
}

/// <summary>GET /api/v1/capacity on libvirt's test driver: the host's own figures, the configured overcommit, and VMs' allocation.</summary>
public sealed class CapacityApiTests(CapacityPortal portal) : IClassFixture<CapacityPortal>
{
    private const double MiB = 1024 * 1024;

    [Fact]
    public async Task Capacity_EqualsTheHostsNodeFacts_WithTheConfiguredOvercommitAndReserve()
    {
        using var conn = LibvirtConnection.Open(KrautAppFactory.TestDriver);
        var facts = conn.GetNodeFacts();

        var capacity = await portal.CapacityAsync();

        var host = Assert.Single(capacity.Hosts);
        Assert.Equal(KrautAppFactory.TestDriver, host.Uri);
        Assert.True(host.Reachable);
        Assert.Equal(facts.Cpus, host.Vcpus.Physical);
        Assert.Equal(facts.Cpus * CapacityPortal.CpuOvercommit, host.Vcpus.Ceiling);
        Assert.Equal(facts.MemoryKiB * 1024.0, host.MemoryBytes.Physical);
        Assert.Equal(facts.MemoryKiB * 1024.0 * CapacityPortal.MemoryOvercommit - CapacityPortal.ReserveMiB * MiB, host.MemoryBytes.Ceiling);
        Assert.Null(host.MemoryBytes.Used); // the test driver has no memory statistics: unknown, not zero
        Assert.Equal(capacity.Vcpus, host.Vcpus); // one host: the total is that host

        // Disk is the filesystem holding the data directory.
        var drive = new DriveInfo(portal.App.DataDirectory);
        Assert.Equal(drive.TotalSize, capacity.DiskBytes.Physical);
        Assert.InRange(capacity.DiskBytes.Used!.Value, (drive.TotalSize - drive.AvailableFreeSpace) * 0.9, drive.TotalSize);
    }

    [Fact]
    public async Task CreatingAVm_RaisesAllocation_AndLowersWhatStillFits_NamingMemoryAsTheLimit()
    {
        var before = await portal.CapacityAsync();
        var smallBefore = before.Fits.Single(f => f.Name == "small");
        Assert.Equal("memory on test:///default", smallBefore.LimitedBy); // 512 MiB each against 16 × 2.5 vCPUs: memory runs out first
        var expected = (int)((before.MemoryBytes.Ceiling - before.MemoryBytes.Allocated) / (512 * MiB));
        Assert.Equal(expected, smallBefore.Fits);

        var vm = await portal.Api.CreateVmAsync(ApiClient.UniqueName("capacity"), memoryMiB: 1024);
        await Eventually.WaitUntilAsync(async () => (await portal.Api.GetVmAsync(vm))?.GetProperty("status").TryGetProperty("host", out _) == true,
            TimeSpan.FromSeconds(30), "the VM to be placed");
        var after = await portal.CapacityAsync();

        Assert.Equal(before.Vcpus.Allocated + 1, after.Vcpus.Allocated); // small's default: 1 vCPU
        Assert.Equal(before.MemoryBytes.Allocated + 1024 * MiB, after.MemoryBytes.Allocated);
        Assert.True(after.DiskBytes.Allocated > before.DiskBytes.Allocated, "the VM's disk counts as allocated");
        Assert.Equal(before.Hosts[0].Vms + 1, after.Hosts[0].Vms);
        Assert.Equal(smallBefore.Fits - 2, after.Fits.Single(f => f.Name == "small").Fits);

        // A dedicated machine type needs an empty host; an aarch64 one a host that runs aarch64.
        var dedicated = after.Fits.Single(f => f.Name == "dedicated");
        Assert.Equal(0, dedicated.Fits);
        Assert.Contains("dedicated needs an empty host", dedicated.LimitedBy, StringComparison.Ordinal);
        Assert.Equal("no aarch64 emulator on test:///default", after.Fits.Single(f => f.Name == "arm-small").LimitedBy);
    }

    [Fact]
    public async Task Capacity_ForSomeoneWhoIsNotAnAdministrator_IsForbidden()
    {
        using var refused = await portal.User.GetAsync("/api/v1/capacity");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("Only administrators", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
