using System.Text.Json;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Integration;

/// <summary>
/// Kill the portal (SIGKILL, no shutdown code) in the middle of creating and deleting VMs, start it again,
/// and check it converges: every VM running, no orphan domain or disk, nothing stuck half-way.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class CrashRecoveryTests : IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(90);
    private readonly PortalProcess _portal = new();

    public Task InitializeAsync() => _portal.StartAsync();

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Theory]
    [InlineData(0)]
    [InlineData(400)]
    [InlineData(1500)]
    public async Task KilledDuringCreates_ConvergesAfterRestart_WithNoOrphans(int killAfterMs)
    {
        var ids = new List<Guid>();
        using (var client = _portal.CreateClient())
        {
            var api = new KrautApi(client);
            for (var i = 0; i < 3; i++) ids.Add(await api.CreateVmAsync($"crash-{killAfterMs}-{i}", memoryMiB: 256));
        }
        await Task.Delay(killAfterMs);
        _portal.Kill();

        await _portal.StartAsync();
        using var after = _portal.CreateClient();
        var restarted = new KrautApi(after);
        foreach (var id in ids) await restarted.WaitForPhaseAsync(id, "running", Converge);

        AssertLibvirtAndDisksMatch(ids);
    }

    [Fact]
    public async Task KilledDuringDeletes_FinishesDeletingAfterRestart()
    {
        var ids = new List<Guid>();
        using (var client = _portal.CreateClient())
        {
            var api = new KrautApi(client);
            for (var i = 0; i < 3; i++) ids.Add(await api.CreateVmAsync($"doomed-{i}", memoryMiB: 256));
            foreach (var id in ids) await api.WaitForPhaseAsync(id, "running", Converge);
            foreach (var id in ids) await api.DeleteVmAsync(id);
        }
        _portal.Kill();

        await _portal.StartAsync();
        using var after = _portal.CreateClient();
        var restarted = new KrautApi(after);
        foreach (var id in ids)
            await Eventually.WaitUntilAsync(async () => await restarted.GetVmAsync(id) is null, Converge, $"VM {id} to be deleted");

        AssertLibvirtAndDisksMatch([]);
    }

    [Fact]
    public async Task LeftoversOfThisInstance_AreCollectedAtStart_ButOtherInstancesDomainsAreLeftAlone()
    {
        var instance = _portal.InstanceId()!;
        _portal.Kill();

        // What a crash could leave: a domain of ours without a record, a disk without a VM, a half-written disk.
        var orphanId = Guid.NewGuid();
        var foreignId = Guid.NewGuid();
        var disks = Path.Combine(_portal.DataDirectory, "disks");
        var strayDisk = Path.Combine(disks, $"{Guid.NewGuid()}.qcow2");
        var halfDisk = Path.Combine(disks, $"{Guid.NewGuid()}.qcow2.tmp");
        Tool.Run("qemu-img", "create", "-q", "-f", "qcow2", strayDisk, "16M");
        File.WriteAllText(halfDisk, "partial");
        // A cloud-init seed without a VM, and one whose writing was cut short (staging directory, temporary image).
        var seeds = Path.Combine(_portal.DataDirectory, "cloud-init");
        var straySeed = Path.Combine(seeds, $"{Guid.NewGuid()}.iso");
        var halfSeed = Path.Combine(seeds, $"{Guid.NewGuid()}.iso");
        File.WriteAllText(straySeed, "seed");
        File.WriteAllText(straySeed + ".sha256", "hash");
        Directory.CreateDirectory(halfSeed + ".d.tmp");
        File.WriteAllText(Path.Combine(halfSeed + ".d.tmp", "meta-data"), "instance-id: x");
        File.WriteAllText(halfSeed + ".tmp", "partial");
        using (var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver))
        {
            using var orphan = libvirt.DefineDomain(DomainXml.Build(MinimalDomain(orphanId, instance)));
            using var foreign = libvirt.DefineDomain(DomainXml.Build(MinimalDomain(foreignId, "someone-else-" + Guid.NewGuid().ToString("N"))));
        }

        try
        {
            await _portal.StartAsync();
            await Eventually.WaitUntilAsync(() =>
            {
                using var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver);
                using var orphan = libvirt.FindDomain(orphanId);
                return orphan is null && !File.Exists(strayDisk) && !File.Exists(halfDisk);
            }, Converge, "the orphan domain and disks to be collected");
            await Eventually.WaitUntilAsync(() => Task.FromResult(Directory.GetFileSystemEntries(seeds).Length == 0), Converge,
                "the stray and half-written seeds to be collected");

            using var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver);
            using var stillThere = libvirt.FindDomain(foreignId);
            Assert.NotNull(stillThere);
        }
        finally
        {
            using var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver);
            using var foreign = libvirt.FindDomain(foreignId);
            foreign?.Undefine();
        }
    }

    [Fact]
    public async Task DomainChangedBehindKraut_IsShownAsDrift_AndStartBringsItBack()
    {
        using var client = _portal.CreateClient();
        var api = new KrautApi(client);
        var id = await api.CreateVmAsync("drifter", memoryMiB: 256);
        await api.WaitForPhaseAsync(id, "running", Converge);

        using (var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver))
        using (var domain = libvirt.FindDomain(id)!)
        {
            domain.Destroy();
        }
        await api.WaitForPhaseAsync(id, "stopped", TimeSpan.FromSeconds(30));
        var status = (await api.GetVmAsync(id))!.Value.GetProperty("status");
        Assert.Contains("outside Kraut", status.GetProperty("drift").GetString(), StringComparison.Ordinal);

        using (var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver))
        using (var domain = libvirt.FindDomain(id)!)
        {
            domain.Undefine();
        }
        await api.WaitForPhaseAsync(id, "missing", TimeSpan.FromSeconds(30));

        await api.ActAsync(id, "start");
        await api.WaitForPhaseAsync(id, "running", Converge);
        Assert.False((await api.GetVmAsync(id))!.Value.GetProperty("status").TryGetProperty("drift", out _));
    }

    private void AssertLibvirtAndDisksMatch(IReadOnlyCollection<Guid> expected)
    {
        var instance = _portal.InstanceId()!;
        var domains = new List<Guid>();
        using (var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver))
        {
            foreach (var domain in libvirt.ListAllDomains())
            {
                using (domain)
                {
                    if (domain.GetKrautMetadata()?.InstanceId == instance) domains.Add(domain.Uuid);
                }
            }
        }
        Assert.Equal(expected.Order(), domains.Order());

        var disks = Directory.GetFiles(Path.Combine(_portal.DataDirectory, "disks")).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(expected.Select(id => $"{id}.qcow2").Order(), disks);
        // One whole seed per VM, nothing half-written.
        var seeds = Directory.GetFileSystemEntries(Path.Combine(_portal.DataDirectory, "cloud-init")).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(expected.SelectMany(id => new[] { $"{id}.iso", $"{id}.iso.sha256" }).Order(), seeds);
    }

    private static DomainDefinition MinimalDomain(Guid id, string instance) => new(
        id, $"kraut-{id}", "planted", "qemu", "x86_64", null, null, 1, 64, [], [], null,
        new KrautDomainMetadata(id, instance, "planted", 1));
}
