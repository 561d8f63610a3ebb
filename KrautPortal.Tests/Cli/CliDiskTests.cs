using System.Text.Json.Nodes;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Cli;

/// <summary>The CLI against a portal on qemu:///system with the test guest image: VMs with real disks (none is booted here).</summary>
public sealed class CliDiskPortal : CliPortal
{
    public CliDiskPortal()
        : base(NewApp())
    {
    }

    private static KrautAppFactory NewApp()
    {
        Tool.PackagedFile("/usr/bin/qemu-img", "qemu-utils");
        Tool.PackagedFile("/usr/bin/virsh", "libvirt-clients");
        return new KrautAppFactory(KrautAppFactory.SystemDriver, SeedImages.Guest);
    }
}

/// <summary>
/// <c>kraut vm snapshot revert</c>, <c>kraut vm backup take|list|download|restore</c> and <c>kraut vm image</c> on a
/// stopped VM's real qcow2 disk: what a stopped VM allows without booting it (the running cases are the API's
/// real-guest tests; the CLI sends the same requests).
/// </summary>
public sealed class CliDiskTests(CliDiskPortal portal) : IClassFixture<CliDiskPortal>, IDisposable
{
    private const string Wait = "50s";
    private readonly string _dir = Directory.CreateTempSubdirectory("kraut-cli-disk-").FullName;

    [Fact]
    public async Task StoppedVm_SnapshotRevert_BackupTakeListDownloadRestore_AndImageFromIt()
    {
        var vm = ApiClient.UniqueName("disk");
        var restored = vm + "-restored";
        var image = vm + "-image";
        await portal.ExpectAsync(0, "vm", "create", vm, "--image", "kraut-test-guest", "--network", "default", "--type", "small", "--stopped", "--wait", "--timeout", Wait);
        try
        {
            // Snapshot and revert: asked first (no answer on a closed stdin is no), then with --yes.
            await portal.ExpectAsync(0, "vm", "snapshot", "take", vm, "before", "--wait", "--timeout", Wait);
            var unconfirmed = await portal.ExpectAsync(1, "vm", "snapshot", "revert", vm, "before");
            Assert.Contains("Nothing reverted.", unconfirmed.Err, StringComparison.Ordinal);
            var reverted = await portal.ExpectAsync(0, "vm", "snapshot", "revert", vm, "before", "--yes", "--wait", "--timeout", Wait);
            Assert.Contains($"VM {vm} is back at snapshot before.", reverted.Out, StringComparison.Ordinal);

            // A full backup of the stopped disk, listed, downloaded as one standalone qcow2 of the VM's size.
            var backup = JsonNode.Parse((await portal.ExpectAsync(0, "vm", "backup", "take", vm, "--kind", "full", "--wait", "--timeout", Wait, "-o", "json")).Out)!;
            Assert.Equal("completed", (string?)backup["status"]!["phase"]);
            var backupId = (string)backup["id"]!;
            var listed = (await portal.ExpectAsync(0, "vm", "backup", "list", vm)).Out;
            Assert.Contains(backupId, listed, StringComparison.Ordinal);
            var file = Path.Combine(_dir, "backup.qcow2");
            await portal.ExpectAsync(0, "vm", "backup", "download", vm, backupId, "--to", file);
            var info = await QemuImg.InfoAsync(file, "qcow2", CancellationToken.None);
            Assert.Null(info.BackingFilename);
            var disk = await QemuImg.InfoAsync(portal.App.Service<KrautPortal.Features.KrautPaths>().DiskFor(Guid.Parse(await IdOfAsync(vm))), "qcow2", CancellationToken.None);
            Assert.Equal(disk.VirtualSizeBytes, info.VirtualSizeBytes);
            Assert.False(File.Exists(file + ".part"));
            var again = await portal.ExpectAsync(2, "vm", "backup", "download", vm, backupId, "--to", file);
            Assert.Contains("exists already", again.Err, StringComparison.Ordinal);

            // Restored into a new VM, left stopped.
            var made = JsonNode.Parse((await portal.ExpectAsync(0, "vm", "backup", "restore", vm, backupId, "--name", restored, "--type", "small", "--network", "default", "--stopped", "-o", "json")).Out)!;
            Assert.Equal(restored, (string?)made["name"]);
            Assert.Equal(backupId, (string?)made["spec"]!["restoreFrom"]);
            Assert.Equal("stopped", (string?)made["spec"]!["power"]);
            Assert.Single(made["spec"]!["nics"]!.AsArray());
            await Eventually.WaitUntilAsync(async () =>
                (string?)JsonNode.Parse((await portal.ExpectAsync(0, "vm", "get", restored, "-o", "json")).Out)!["status"]!["phase"] == "stopped",
                TimeSpan.FromSeconds(50), "the restored VM built and stopped");

            // An image from the stopped VM, ready for the wizard.
            var img = JsonNode.Parse((await portal.ExpectAsync(0, "vm", "image", vm, "--name", image, "--wait", "--timeout", Wait, "-o", "json")).Out)!;
            Assert.Equal("ready", (string?)img["status"]!["phase"]);
        }
        finally
        {
            await portal.RunAsync("vm", "delete", vm, restored, "--yes", "--wait", "--timeout", Wait);
            await portal.RunAsync("image", "delete", image, "--yes", "--wait", "--timeout", Wait);
        }
    }

    private async Task<string> IdOfAsync(string vm) =>
        (string)JsonNode.Parse((await portal.ExpectAsync(0, "vm", "get", vm, "-o", "json")).Out)!["id"]!;

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
