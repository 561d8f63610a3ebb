using System.Diagnostics;
using System.Globalization;
using System.Net;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;
using Xunit.Abstractions;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>
/// Live migration through the binding alone, on real parts: a test guest booted on this machine's libvirtd moves to a
/// simulated host (its own libvirtd, network and mount namespaces, reached over qemu+tcp on a veth) and back, while curl
/// asks its web server for a page from both sides. The target's base image, empty overlay and CD are made there first
/// through the connection (the simulated host cannot see the source's files); only the overlay's top layer travels.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class LiveMigrationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Move = TimeSpan.FromSeconds(180);

    /// <summary>
    /// The guest pauses well under a second (libvirt reports the downtime); the rest of a gap is the prober's: curl's
    /// timeouts and this side's neighbour entry for the guest, failed while it ran elsewhere, being resolved again.
    /// Measured 1–6 s on a loaded 2-core machine; a cold restart instead of a live move would take 20–40 s of boot.
    /// </summary>
    internal static readonly TimeSpan MaxGap = TimeSpan.FromSeconds(15);

    /// <summary>A sector in the gap between the MBR and the first partition: nobody else writes there.</summary>
    private const int MarkerSector = 1024;

    [Fact]
    public async Task RunningGuest_MovesToASimulatedHostAndBack_KeepsAnsweringHttp_AndKeepsWhatItWroteToDisk()
    {
        Tool.PackagedFile("/usr/bin/qemu-system-x86_64", "qemu-system-x86");
        Tool.PackagedFile("/usr/bin/qemu-img", "qemu-utils");
        // Short: the VNC socket path must fit a sockaddr_un.
        var dir = Directory.CreateTempSubdirectory("kraut-lm-");
        await using var lab = await Lab.StartAsync(dir.FullName);
        try
        {
            // Boot here, with VNC (the portal's own machine gives its VMs a display) and a read-only CD.
            var here = lab.Definition(Path.Combine(dir.FullName, "a.qcow2"), lab.LocalMedia, Path.Combine(dir.FullName, "a.log"), Path.Combine(dir.FullName, "a.sock"));
            await QemuImg.CreateOverlayAsync(here.Disks[0].Path, TestGuest.ImagePath, "qcow2", null, CancellationToken.None);
            using (var domain = lab.Local.DefineDomain(DomainXml.Build(here))) domain.Start();
            var ready = await GuestConsole.WaitForReadyAsync(here.SerialLogPath!, Boot);
            Assert.Equal(lab.GuestIp, ready.Ip);
            await using var http = new HttpContinuity(lab.GuestIp, [null, lab.Host.Namespace]);
            await http.WaitForAnswerAsync("host", TimeSpan.Zero, TimeSpan.FromSeconds(60));

            var first = await WriteMarkerAsync(TestHosts.System, lab.Uuid);

            // There: base image uploaded, an empty overlay on it, the CD, all volumes of the simulated host.
            var there = lab.RemoteDefinition();
            var toRemote = new LiveMigrationRequest(lab.Uuid, lab.Host.Address, MigrationXml.ForTarget(lab.Local.GetMigratableXml(lab.Uuid), there),
                DomainXml.Build(there), MigrationXml.WritableDisks(there));
            var (result, gap) = await MigrateAsync(http, lab.Local, lab.Remote, toRemote, lab.Host.Namespace);
            output.WriteLine($"here -> simulated host: {result.Elapsed.TotalSeconds:0.0} s, downtime {Ms(result.Downtime)}, "
                + $"{result.DataTransferred ?? 0} bytes; longest HTTP gap {gap.TotalMilliseconds:0} ms");
            using (result.Domain)
            {
                Assert.True(result.Domain.IsActive);
                Assert.Null(lab.Local.FindDomain(lab.Uuid));
                Assert.Contains(lab.Name, lab.Host.Virsh("list", "--persistent", "--name").Split('\n').Select(l => l.Trim()));
                var live = result.Domain.GetXml();
                Assert.Contains(there.Disks[0].Path, live);
                Assert.DoesNotContain(dir.FullName, live);
                Assert.DoesNotContain("<graphics", live);
                Assert.DoesNotContain(dir.FullName, result.Domain.GetXml(inactive: true));
            }
            Assert.InRange(gap, TimeSpan.Zero, MaxGap);
            // Read by the guest past its page cache: the only disk it has now is the target's overlay.
            Assert.Contains(first, await ReadViaGuestAsync(lab.Host.Uri, lab.Uuid, MarkerSector), StringComparison.Ordinal);
            var second = await WriteMarkerAsync(lab.Host.Uri, lab.Uuid, sector: MarkerSector + 1);
            // And in the overlay file there (the second marker's sync flushed QEMU's qcow2 metadata to it).
            Assert.Equal(first, lab.ReadRemoteSector(there.Disks[0].Path, MarkerSector));
            Assert.Equal(second, lab.ReadRemoteSector(there.Disks[0].Path, MarkerSector + 1));
            // The guest's console log goes on there, where virtlogd writes it now.
            await Eventually.WaitUntilAsync(() => GuestConsole.Read(lab.RemoteOutside(there.SerialLogPath!)).Length > 0, TimeSpan.FromSeconds(10), "the console log on the simulated host");

            // And back, to a new overlay here; the target address is this machine's end of the veth.
            var back = lab.Definition(Path.Combine(dir.FullName, "b.qcow2"), lab.LocalMedia, Path.Combine(dir.FullName, "b.log"), Path.Combine(dir.FullName, "b.sock"));
            await QemuImg.CreateOverlayAsync(back.Disks[0].Path, TestGuest.ImagePath, "qcow2", null, CancellationToken.None);
            var hereAddress = MigrationAddress.LocalToward(IPAddress.Parse(lab.Host.Address)).ToString();
            Assert.Equal($"10.255.{lab.Host.Subnet.ToString(CultureInfo.InvariantCulture)}.1", hereAddress);
            var toLocal = new LiveMigrationRequest(lab.Uuid, hereAddress, MigrationXml.ForTarget(lab.Remote.GetMigratableXml(lab.Uuid), back),
                DomainXml.Build(back), MigrationXml.WritableDisks(back));
            (result, gap) = await MigrateAsync(http, lab.Remote, lab.Local, toLocal, "host");
            output.WriteLine($"simulated host -> here: {result.Elapsed.TotalSeconds:0.0} s, downtime {Ms(result.Downtime)}, "
                + $"{result.DataTransferred ?? 0} bytes; longest HTTP gap {gap.TotalMilliseconds:0} ms");
            using (result.Domain)
            {
                Assert.True(result.Domain.IsActive);
                Assert.Contains(back.VncSocketPath!, result.Domain.GetXml());
            }
            Assert.DoesNotContain(lab.Name, lab.Host.Virsh("list", "--all", "--name"));
            Assert.InRange(gap, TimeSpan.Zero, MaxGap);
            var third = await WriteMarkerAsync(TestHosts.System, lab.Uuid, sector: MarkerSector + 2);
            // Stopped (QEMU writes out all its qcow2 metadata as it exits), the overlay file itself holds all three.
            using (var domain = lab.Local.FindDomain(lab.Uuid)!) domain.Destroy();
            Assert.Equal(first, ReadLocalSector(back.Disks[0].Path, MarkerSector));
            Assert.Equal(second, ReadLocalSector(back.Disks[0].Path, MarkerSector + 1));
            Assert.Equal(third, ReadLocalSector(back.Disks[0].Path, MarkerSector + 2));
        }
        finally
        {
            lab.RemoveDomain();
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void DestinationXml_OfAKvmGuest_ForATcgHost_IsRefusedWithAReason()
    {
        var uuid = Guid.NewGuid();
        DomainDefinition Def(string type, string disk) => new(uuid, "kraut-" + uuid.ToString("D"), "t", type, "x86_64", null, null, 1, 128,
            [new DiskDefinition(disk, "qcow2", "vda", "virtio")], [], "/var/log/x.log", new KrautDomainMetadata(uuid, "i", "vm", 1));
        var running = DomainXml.Build(Def("kvm", "/src/disk.qcow2"));
        var refused = Assert.Throws<LiveMigrationRefusedException>(() => MigrationXml.ForTarget(running, Def("qemu", "/dst/disk.qcow2")));
        Assert.Contains("'kvm'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("'qemu'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("move it cold", refused.Message, StringComparison.Ordinal);
        Assert.Throws<LiveMigrationRefusedException>(() => MigrationXml.RequireSameDomainType(running, DomainXml.Build(Def("qemu", "/dst/disk.qcow2"))));

        // The same type: every per-host path is the target's, the backing chain is left to the target's overlay.
        var withChain = running.Replace("</disk>", "<backingStore type='file'><format type='qcow2'/><source file='/src/base.qcow2'/></backingStore></disk>", StringComparison.Ordinal);
        var rebased = MigrationXml.ForTarget(withChain, Def("kvm", "/dst/disk.qcow2") with { SerialLogPath = "/dst/console.log" });
        Assert.Contains("/dst/disk.qcow2", rebased, StringComparison.Ordinal);
        Assert.Contains("/dst/console.log", rebased, StringComparison.Ordinal);
        Assert.DoesNotContain("/src/", rebased, StringComparison.Ordinal);
        Assert.DoesNotContain("/var/log/x.log", rebased, StringComparison.Ordinal);
        // A disk the running guest does not have cannot appear on the way.
        Assert.Throws<LiveMigrationRefusedException>(() => MigrationXml.ForTarget(running,
            Def("kvm", "/dst/disk.qcow2") with { Disks = [new DiskDefinition("/dst/disk.qcow2", "qcow2", "vda", "virtio"), new DiskDefinition("/dst/2.qcow2", "qcow2", "vdb", "virtio")] }));
    }

    /// <summary>
    /// Runs the migration on its own thread while the probe keeps asking, then waits until the guest answered from
    /// <paramref name="arrivedFrom"/> (the target's side) for a while; returns the longest time nobody got an answer.
    /// </summary>
    private async Task<(LiveMigrationResult Result, TimeSpan Gap)> MigrateAsync(HttpContinuity http, LibvirtConnection from, LibvirtConnection to,
        LiveMigrationRequest request, string arrivedFrom)
    {
        var progress = new Collected();
        var start = http.Now;
        using var timeout = new CancellationTokenSource(Move);
        var result = await Task.Run(() => from.MigrateLive(request, to, progress, timeout.Token));
        var end = http.Now;
        // A few answers in a row from the new side: the move is over for the guest's clients too.
        await Eventually.WaitUntilAsync(() => http.AnswersFrom(arrivedFrom, end) >= 5, TimeSpan.FromSeconds(30), $"answers from {arrivedFrom} after the move");
        if (progress.Last is { } last)
            output.WriteLine($"  last progress: {last.Elapsed.TotalSeconds:0.0} s, {last.DataProcessed}/{last.DataTotal} bytes, disk {last.DiskProcessed}/{last.DiskTotal}, iteration {last.MemoryIteration}");
        return (result, http.LongestGap(start, http.Now));
    }

    private static string Ms(TimeSpan? t) => t is { } v ? $"{v.TotalMilliseconds:0} ms" : "not reported";

    private static Task<string> WriteMarkerAsync(string uri, Guid uuid, int sector = MarkerSector) =>
        GuestSerial.WriteDiskMarkerAsync(uri, uuid, sector, "KRAUT-LM-");

    /// <summary>What the guest reads from <paramref name="sector"/> of its disk with O_DIRECT (from the disk, not its page cache).</summary>
    internal static async Task<string> ReadViaGuestAsync(string uri, Guid uuid, int sector)
    {
        using var console = GuestSerial.Open(uri, uuid);
        await console.WaitForShellAsync(TimeSpan.FromSeconds(60));
        var token = Guid.NewGuid().ToString("N")[..8];
        var since = console.Length;
        await console.SendLineAsync($"dd if=/dev/vda bs=512 skip={sector} count=1 iflag=direct 2>/dev/null | tr -d '\\000'; echo; echo read-{token}-$((6*7))");
        return await console.WaitForAsync($"read-{token}-42", TimeSpan.FromSeconds(30), since);
    }

    private static string ReadLocalSector(string overlay, int sector) => QcowSector.Text(overlay, sector);

    private static string SectorText(byte[] sector) => System.Text.Encoding.ASCII.GetString(sector).TrimEnd('\0');

    private sealed class Collected : IProgress<LiveMigrationProgress>
    {
        private LiveMigrationProgress? _last;

        public LiveMigrationProgress? Last => Volatile.Read(ref _last);

        public void Report(LiveMigrationProgress value) => Volatile.Write(ref _last, value);
    }

    /// <summary>
    /// The two hosts of a migration: this machine's libvirtd and a simulated host, each with an isolated libvirt network
    /// of the same name and range (the guest keeps its address wherever it runs) and a pool on the simulated host.
    /// </summary>
    private sealed class Lab : IAsyncDisposable
    {
        private readonly List<Action> _undo = [];

        private Lab(string dir, SimulatedHost host)
        {
            Host = host;
            Dir = dir;
        }

        public Guid Uuid { get; } = Guid.NewGuid();

        public string Name => "kraut-test-lm-" + Uuid.ToString("N")[..12];

        public SimulatedHost Host { get; }

        public string Dir { get; }

        public LibvirtConnection Local { get; private set; } = null!;

        public LibvirtConnection Remote { get; private set; } = null!;

        public string DomainType { get; private set; } = "";

        public string Network { get; } = TestSupport.UniqueName("lm");

        public string Mac { get; } = TestSupport.RandomMac();

        public string GuestIp { get; private set; } = "";

        public string LocalMedia => Path.Combine(Dir, "media.raw");

        private LibvirtStoragePool Pool { get; set; } = null!;

        public static async Task<Lab> StartAsync(string dir)
        {
            // The source's directory is hidden from the simulated host: a path of this machine left in the target's XML fails there.
            var lab = new Lab(dir, await SimulatedHost.StartAsync([dir]));
            try
            {
                await lab.SetUpAsync();
                return lab;
            }
            catch
            {
                await lab.DisposeAsync();
                throw;
            }
        }

        private async Task SetUpAsync()
        {
            Local = LibvirtConnection.Open(TestHosts.System);
            _undo.Add(Local.Dispose);
            Remote = LibvirtConnection.Open(Host.Uri);
            _undo.Add(Remote.Dispose);
            var caps = Local.GetCapabilities();
            DomainType = (await AccelerationProbe.DetectAsync(caps, "x86_64", TestGuest.KernelPath, CancellationToken.None)).DomainType;
            // Both ends run guests the same way (the simulated host shares this CPU): a live move needs that.
            Assert.True(Remote.GetCapabilities().FindGuest("x86_64")?.SupportsDomainType(DomainType), $"the simulated host offers no {DomainType} x86_64 guests");

            var prefix = TestSubnets.FreePrefix(250, 254);
            GuestIp = prefix + ".10";
            var network = NetworkXml.Build(new NetworkDefinition(Network, null, "none", prefix + ".1", 24, prefix + ".100", prefix + ".200", [new DhcpHost(Mac, GuestIp)]));
            foreach (var connection in new[] { Local, Remote })
            {
                var net = connection.DefineNetwork(network);
                _undo.Add(() =>
                {
                    if (net.IsActive) net.Destroy();
                    net.Undefine();
                    net.Dispose();
                });
                net.Start();
            }
            await File.WriteAllBytesAsync(LocalMedia, new byte[1 << 20]);

            Pool = Remote.CreateStoragePool(StorageXml.DirectoryPool(Name, SimulatedHost.DataDirectory));
            _undo.Add(() =>
            {
                Pool.Destroy();
                Pool.Dispose();
            });
        }

        public DomainDefinition Definition(string disk, string media, string log, string? vnc) => new(
            Uuid, Name, "live migration test guest", DomainType, "x86_64", null, null, 1, 256,
            [new DiskDefinition(disk, "qcow2", "vda", "virtio"), new DiskDefinition(media, "raw", "sda", "scsi", IsCdrom: true)],
            [new NicDefinition(Mac, Network)],
            log,
            new KrautDomainMetadata(Uuid, "test-lm", "live", 1),
            VncSocketPath: vnc);

        /// <summary>The target's side made through the connection: base uploaded once, an empty overlay on it of the same size, the CD.</summary>
        public DomainDefinition RemoteDefinition()
        {
            var size = QemuImg.InfoAsync(TestGuest.ImagePath, "qcow2", CancellationToken.None).GetAwaiter().GetResult().VirtualSizeBytes;
            var basePath = Pool.UploadOnce(Name + "-base.qcow2", TestGuest.ImagePath);
            using var overlay = Pool.CreateVolume(StorageXml.Volume(Name + "-disk.qcow2", size, "qcow2", new VolumeBacking(basePath, "qcow2")));
            var media = Pool.UploadOnce(Name + "-media.raw", LocalMedia);
            return Definition(overlay.Path, media, $"{SimulatedHost.DataDirectory}/{Name}-console.log", vnc: null);
        }

        /// <summary>A path on the simulated host (under its data directory) as this machine sees it.</summary>
        public string RemoteOutside(string path) => Path.Combine(Host.DataDirectoryOutside, Path.GetRelativePath(SimulatedHost.DataDirectory, path));

        /// <summary>A sector of a disk on the simulated host, read there (its backing image is at a path only it sees).</summary>
        public string ReadRemoteSector(string overlay, int sector)
        {
            var file = $"{SimulatedHost.DataDirectory}/{Name}-sector.raw";
            var read = Host.TryInside("qemu-img", "dd", "-U", "-f", "qcow2", "-O", "raw", "bs=512", $"skip={sector}", $"count={sector + 1}", $"if={overlay}", $"of={file}");
            Assert.True(read.ExitCode == 0, read.StdErr);
            return SectorText(File.ReadAllBytes(RemoteOutside(file)));
        }

        public void RemoveDomain()
        {
            foreach (var connection in new[] { Local, Remote })
            {
                using var domain = connection?.FindDomain(Uuid);
                if (domain is null) continue;
                if (domain.IsActive) domain.Destroy();
                try
                {
                    domain.Undefine();
                }
                catch (LibvirtException e) when (e.IsNoDomain)
                {
                    // transient: gone with the destroy
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            RemoveDomain();
            for (var i = _undo.Count - 1; i >= 0; i--)
            {
                try
                {
                    _undo[i]();
                }
                catch (LibvirtException e)
                {
                    Debug.WriteLine($"clean-up: {e.Message}");
                }
            }
            Host.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
