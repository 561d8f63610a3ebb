using KrautPortal.Features.Hosts;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Consoles;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;
using Xunit.Abstractions;

namespace KrautPortal.Tests.RemoteHosts;

/// <summary>
/// A VM on a host that is not the portal's machine: its disk, seed and base image are volumes made over the libvirt
/// connection, it boots there, its console answers over the remote stream, its log comes by stream, and deleting it
/// leaves nothing there. The simulated host cannot see the portal's data directory, so any local path fails.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class RemoteHostTests(RemoteHostPortal fixture, ITestOutputHelper output) : IClassFixture<RemoteHostPortal>
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(30);

    private KrautHost Host => fixture.Web.App.Service<HostRegistry>().Find(fixture.Host.Uri)!;

    [Fact]
    public void SimulatedHost_IsReachedOverTcp_AndCannotSeeThePortalsDataDirectory()
    {
        output.WriteLine($"simulated host {fixture.Host.Uri} started in {fixture.Host.StartTime.TotalSeconds:0.0} s; first VM booted there in {fixture.FirstBoot.TotalSeconds:0.0} s");
        Assert.Equal(fixture.Host.Uri, fixture.Host.Virsh("uri"));
        Assert.True(File.Exists(Path.Combine(fixture.DataDirectory, "kraut.db")) || Directory.EnumerateFileSystemEntries(fixture.DataDirectory).Any());
        var inside = fixture.Host.TryInside("ls", "-A", fixture.DataDirectory);
        Assert.Equal(0, inside.ExitCode);
        Assert.Equal("", inside.StdOut.Trim());
    }

    [Fact]
    public async Task Vm_BootsOnTheRemoteHost_WithItsDiskThere_AndNotHere()
    {
        var domain = VmBuilder.DomainName(fixture.VmId);
        Assert.Contains(domain, fixture.Host.Virsh("list", "--name").Split('\n').Select(l => l.Trim()));
        Assert.NotEqual(0, Tool.Try("virsh", "-c", TestHosts.System, "domstate", domain).ExitCode);

        var files = fixture.PoolFiles();
        Assert.Contains(VmVolumes.DiskVolume(fixture.VmId), files);
        Assert.Contains(VmVolumes.ConsoleVolume(fixture.VmId), files);
        Assert.Contains(files, f => f.StartsWith($"{fixture.VmId:D}.seed-", StringComparison.Ordinal) && f.EndsWith(".iso", StringComparison.Ordinal));
        Assert.Contains(files, f => f.StartsWith("image-", StringComparison.Ordinal) && f.EndsWith(".qcow2", StringComparison.Ordinal));
        Assert.False(File.Exists(fixture.Web.App.Service<Features.KrautPaths>().DiskFor(fixture.VmId)), "the portal's data directory has no disk for a remote VM");

        // The disk is an overlay on the base image uploaded there, its format recorded (never probed).
        var xml = fixture.Host.Virsh("vol-dumpxml", "--pool", fixture.Web.App.Service<VmVolumes>().PoolName, VmVolumes.DiskVolume(fixture.VmId));
        Assert.Contains("<backingStore>", xml);
        Assert.Contains("image-", xml);
        var (state, _) = (await fixture.Web.Api.PhaseAsync(fixture.VmId), 0);
        Assert.Equal("running", state);
    }

    [Fact]
    public async Task SerialConsole_OverTheRemoteStream_ShowsTheRemoteLogsTail_AndAnswersATypedCommand()
    {
        var ticket = (string)(await ConsolePortal.TicketAsync(fixture.Web.As("alice"), fixture.VmId))["ticket"]!;
        await using var viewer = await ConsoleViewer.OpenAsync(fixture.Web.SocketUri(fixture.VmId), ticket);
        // The log's tail comes first, fetched from the remote host's pool: the boot is in it.
        await viewer.WaitForOutputAsync("KRAUT-GUEST-BOOTED", Answer);
        var marker = Guid.NewGuid().ToString("N")[..10];
        var deadline = DateTime.UtcNow + RemoteHostPortal.Boot;
        while (true)
        {
            await viewer.TypeAsync($"echo remote-$((40+2))-{marker}\r");
            try
            {
                await viewer.WaitForOutputAsync($"remote-42-{marker}", TimeSpan.FromSeconds(5));
                break;
            }
            catch (TimeoutException) when (DateTime.UtcNow < deadline)
            {
                // the shell was not there yet
            }
        }
        // What was typed lands in the log virtlogd keeps on the remote host, which the portal reads by stream.
        await Eventually.WaitUntilAsync(() => fixture.ConsoleLog(fixture.VmId).Contains($"remote-42-{marker}", StringComparison.Ordinal), Answer,
            "the typed command's answer in the remote console log");
    }

    [Fact]
    public async Task AStoppedVmStarts_AfterItsSeedWasRemovedThere_AndDeletingIt_RemovesItsDomainAndVolumes()
    {
        var id = await fixture.Web.VmAsync("alice", running: false, timeout: TimeSpan.FromSeconds(120));
        var domain = VmBuilder.DomainName(id);
        Assert.Contains(domain, fixture.Host.Virsh("list", "--all", "--name"));
        Assert.Contains(VmVolumes.DiskVolume(id), fixture.PoolFiles());

        // Its seed removed on the host behind Kraut's back: the start (a new spec version, so the definition is built
        // again) finds the seed volume incomplete and uploads it again, and QEMU finds every file.
        var seed = fixture.PoolFiles().Single(f => f.StartsWith($"{id:D}.seed-", StringComparison.Ordinal) && f.EndsWith(".iso", StringComparison.Ordinal));
        fixture.Host.Virsh("vol-delete", "--pool", fixture.Web.App.Service<VmVolumes>().PoolName, seed);
        await fixture.Web.Api.ActAsync(id, "start");
        await fixture.Web.Api.WaitForPhaseAsync(id, "running", TimeSpan.FromSeconds(60));
        Assert.Contains(seed, fixture.PoolFiles());

        await fixture.Web.Api.DeleteVmAsync(id);
        await Eventually.WaitUntilAsync(async () => await fixture.Web.Api.GetVmAsync(id) is null, TimeSpan.FromSeconds(60), "the VM to be deleted");

        Assert.DoesNotContain(domain, fixture.Host.Virsh("list", "--all", "--name"));
        Assert.DoesNotContain(fixture.PoolFiles(), f => f.StartsWith(id.ToString("D"), StringComparison.Ordinal));
        // The base image stays for the next VM; the booted one is untouched.
        Assert.Contains(fixture.PoolFiles(), f => f.StartsWith("image-", StringComparison.Ordinal));
        Assert.Contains(VmVolumes.DiskVolume(fixture.VmId), fixture.PoolFiles());
    }

    /// <summary>
    /// Volumes named after a VM that does not exist (a crash between deleting the record and its volumes, or a volume
    /// made by hand in Kraut's pool) are removed when the reconciler looks at that id; other VMs' volumes stay.
    /// </summary>
    [Fact]
    public async Task OrphanVolumes_OfAVmThatIsGone_AreRemovedByTheReconciler()
    {
        var orphan = Guid.NewGuid();
        var pool = fixture.Web.App.Service<VmVolumes>().PoolName;
        fixture.Host.Virsh("vol-create-as", pool, VmVolumes.DiskVolume(orphan), "1M", "--format", "qcow2");
        fixture.Host.Virsh("vol-create-as", pool, $"{orphan:D}.seed-0123456789abcdef.iso", "4K", "--format", "raw");
        Assert.Contains(VmVolumes.DiskVolume(orphan), fixture.PoolFiles());

        fixture.Web.App.Service<VmReconciler>().Enqueue(orphan, ensure: false);

        await Eventually.WaitUntilAsync(() => !fixture.PoolFiles().Any(f => f.StartsWith(orphan.ToString("D"), StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the orphan's volumes to be removed");
        Assert.Contains(VmVolumes.DiskVolume(fixture.VmId), fixture.PoolFiles());
    }

    /// <summary>
    /// The simulated host shares this machine's CPU, so the probe run there over the connection must come to what the
    /// local probe finds (kvm where KVM works; qemu where nested KVM is broken or /dev/kvm is missing), not to what the
    /// capabilities list.
    /// </summary>
    [Fact]
    public async Task KvmProbe_OfTheRemoteHost_RunsThere_AndAgreesWithTheLocalProbe()
    {
        var vm = (await fixture.Web.Api.GetVmAsync(fixture.VmId))!.Value;
        var remote = vm.GetProperty("status").GetProperty("domainType").GetString();
        // Asked of the simulated host over the connection (not this machine): the same answer, as the CPU is the same.
        using var system = LibvirtConnection.Open(TestHosts.System);
        var local = await AccelerationProbe.DetectAsync(system.GetCapabilities(), "x86_64", TestGuest.KernelPath, CancellationToken.None);
        output.WriteLine($"local: {local.DomainType} ({local.Reason}); remote: {remote}");
        Assert.Equal(local.DomainType, remote);
        // Where the host's capabilities list kvm, the probe kernel went there: the probe ran on that host.
        if (system.GetCapabilities().FindGuest("x86_64")?.SupportsDomainType("kvm") == true)
            Assert.Contains(fixture.PoolFiles(), f => f.StartsWith("kvm-probe-kernel-", StringComparison.Ordinal));
        Assert.DoesNotContain("kvm-probe", fixture.Host.Virsh("list", "--all", "--name"), StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.PoolFiles(), f => f.EndsWith(".log", StringComparison.Ordinal) && f.StartsWith("kvm-probe-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Volumes_UploadDownloadOverlayAndResumedUpload_ThroughTheBinding()
    {
        using var connection = LibvirtConnection.Open(fixture.Host.Uri);
        var name = "kraut-binding-" + Guid.NewGuid().ToString("N")[..8];
        using var pool = connection.CreateStoragePool(StorageXml.DirectoryPool(name, SimulatedHost.DataDirectory));
        try
        {
            var content = new byte[3 * 1024 * 1024 + 17];
            Random.Shared.NextBytes(content);
            using var raw = pool.CreateVolume(StorageXml.Volume(name + ".raw", content.Length, "raw"));
            raw.Upload(new MemoryStream(content), content.Length);
            using var back = new MemoryStream();
            Assert.Equal(content.Length, raw.Download(back));
            Assert.Equal(content, back.ToArray());
            using var tail = new MemoryStream();
            raw.Download(tail, content.Length - 100, 100);
            Assert.Equal(content[^100..], tail.ToArray());
            Assert.Equal($"{SimulatedHost.DataDirectory}/{name}.raw", raw.Path);
            // The pool's file system as the host sees it: here the simulated host's data directory, a directory of this machine's /tmp.
            var (capacity, available) = pool.GetInfo();
            var drive = new DriveInfo(fixture.Host.DataDirectoryOutside);
            Assert.Equal(drive.TotalSize, capacity);
            Assert.InRange(available, 1, capacity);

            using var overlay = pool.CreateVolume(StorageXml.Volume(name + ".qcow2", 8L << 20, "qcow2", new VolumeBacking(raw.Path, "raw")));
            Assert.Equal(8L << 20, overlay.GetInfo().CapacityBytes);
            var info = Tool.Run("qemu-img", "info", "--output=json", "-U", Path.Combine(fixture.Host.DataDirectoryOutside, name + ".qcow2"));
            Assert.Contains($"\"backing-filename\": \"{raw.Path}\"", info);
            Assert.Contains("\"backing-filename-format\": \"raw\"", info);

            // An upload cut off by a crash left a volume without its completion marker: UploadOnce sends it again.
            var file = Path.Combine(Path.GetTempPath(), name + ".bin");
            await File.WriteAllBytesAsync(file, content[..4096]);
            try
            {
                using (pool.CreateVolume(StorageXml.Volume(name + ".img", 10, "raw"))) { }
                Assert.False(pool.HasComplete(name + ".img"));
                Assert.Equal($"{SimulatedHost.DataDirectory}/{name}.img", pool.UploadOnce(name + ".img", file));
                Assert.True(pool.HasComplete(name + ".img"));
                Assert.Equal(content[..4096], await File.ReadAllBytesAsync(Path.Combine(fixture.Host.DataDirectoryOutside, name + ".img")));
                // Done once: a second call sends nothing (the file on the host is not touched).
                var written = File.GetLastWriteTimeUtc(Path.Combine(fixture.Host.DataDirectoryOutside, name + ".img"));
                pool.UploadOnce(name + ".img", file);
                Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(fixture.Host.DataDirectoryOutside, name + ".img")));
            }
            finally
            {
                File.Delete(file);
                foreach (var leftover in new[] { name + ".img", name + ".img" + LibvirtStoragePool.CompleteMarkerSuffix })
                    pool.FindVolume(leftover)?.Delete();
            }

            overlay.Delete();
            raw.Delete();
            Assert.Null(pool.FindVolume(name + ".raw"));
            Assert.False(File.Exists(Path.Combine(fixture.Host.DataDirectoryOutside, name + ".raw")));
        }
        finally
        {
            pool.Destroy();
        }
    }
}
