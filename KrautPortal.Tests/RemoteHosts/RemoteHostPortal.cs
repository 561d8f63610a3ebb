using KrautPortal.Features.Hosts;
using KrautPortal.Features.Vms;
using KrautPortal.Tests.Consoles;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.RemoteHosts;

/// <summary>
/// A simulated second hypervisor host (<see cref="SimulatedHost"/>, which cannot see the portal's data directory) and a
/// portal whose only host is it, over <c>qemu+tcp://</c>; one test guest of alice's booted there, shared by the class.
/// </summary>
public sealed class RemoteHostPortal : IAsyncLifetime, IDisposable
{
    public static readonly TimeSpan Boot = TimeSpan.FromSeconds(180);
    private readonly string _dataDirectory;

    public RemoteHostPortal()
    {
        Tool.PackagedFile("/usr/bin/qemu-system-x86_64", "qemu-system-x86");
        Tool.PackagedFile("/usr/bin/nsenter", "util-linux");
        _dataDirectory = Directory.CreateTempSubdirectory("kraut-test-").FullName;
        SeedImages.Put(_dataDirectory, SeedImages.Guest);
    }

    public SimulatedHost Host { get; private set; } = null!;

    public Portal Web { get; private set; } = null!;

    public string DataDirectory => _dataDirectory;

    public Guid VmId { get; private set; }

    /// <summary>How long the first VM took from the create request until its console log (read by stream) showed the boot.</summary>
    public TimeSpan FirstBoot { get; private set; }

    public async Task InitializeAsync()
    {
        Host = await SimulatedHost.StartAsync([_dataDirectory]);
        Web = new Portal(Host.Uri, _dataDirectory);
        var started = System.Diagnostics.Stopwatch.StartNew();
        VmId = await Web.VmAsync("alice", running: true, timeout: Boot);
        await Eventually.WaitUntilAsync(() => ConsoleLog(VmId).Contains("KRAUT-GUEST-BOOTED", StringComparison.Ordinal), Boot,
            "KRAUT-GUEST-BOOTED in the console log read from the remote host");
        FirstBoot = started.Elapsed;
    }

    /// <summary>The VM's console log as the portal reads it from the remote host: through a volume download stream.</summary>
    public string ConsoleLog(Guid vmId)
    {
        var host = Web.App.Service<HostRegistry>().Find(Host.Uri)!;
        return System.Text.Encoding.UTF8.GetString(Web.App.Service<VmVolumes>().ConsoleTail(host, vmId, 256 * 1024));
    }

    /// <summary>The files in the portal's pool directory on the simulated host.</summary>
    public IReadOnlyList<string> PoolFiles()
    {
        var pool = Path.Combine(Host.DataDirectoryOutside, Web.App.Service<Features.Reconciling.KrautInstance>().ShortId);
        return Directory.Exists(pool) ? Directory.EnumerateFiles(pool).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList() : [];
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        // The data directory is the fixture's, so the portal leaves this machine's libvirtd to it (its networks are
        // defined on every host, this one too).
        var instance = Web?.App.Service<Features.Reconciling.KrautInstance>().Id;
        Web?.Dispose();
        if (instance is not null) LibvirtCleanup.RemoveInstance(TestHosts.System, instance);
        Host?.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // a temp directory
        }
    }

    /// <summary>The portal itself: real Kestrel (the serial console is a WebSocket), its only host the simulated one.</summary>
    public sealed class Portal(string hostUri, string dataDirectory)
        : ConsolePortal(hostUri, SeedImages.Guest, new Dictionary<string, string?>(), dataDirectory);
}
