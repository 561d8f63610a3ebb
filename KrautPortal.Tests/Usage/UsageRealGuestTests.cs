using System.Text.Json.Nodes;
using KrautPortal.Features;
using KrautPortal.Features.Store;
using KrautPortal.Features.Usage;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Tests.Usage;

/// <summary>
/// A real test guest on qemu:///system whose user-data script writes 16 MiB straight to its disk and then burns CPU:
/// the sampler (every 2 s here) sees its CPU time, CPU % and disk writes rise, and the API and the reader report them.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class UsageRealGuestTests : IAsyncLifetime
{
    private const long WrittenBytes = 16L << 20;
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(120);

    // conv=fsync: the writes reach the virtual disk before the marker is printed. The guest lives in its initramfs, so
    // the disk's last 17 MiB are free to scribble on (the VM is thrown away). Then one vCPU spins until the VM goes.
    private const string Script = """
        #!/bin/sh
        sz=$(cat /sys/block/vda/size)
        dd if=/dev/zero of=/dev/vda bs=1M count=16 seek=$((sz / 2048 - 17)) conv=fsync
        echo "KRAUT-USAGE-WROTE rc=$? sectors=$sz"
        while :; do :; done
        """;

    private readonly KrautAppFactory _app = new(KrautAppFactory.SystemDriver, seedImage: SeedImages.Guest,
        settings: new Dictionary<string, string?> { ["Usage:IntervalSeconds"] = "2" });

    private Guid _vm;

    public async Task InitializeAsync()
    {
        Tool.PackagedFile("/usr/bin/qemu-system-x86_64", "qemu-system-x86");
        var api = new ApiClient(_app);
        var body = await api.SampleAsync("vms", ApiClient.UniqueName("usage-burn"));
        body["spec"]!["userData"] = Script;
        _vm = (Guid)(await api.CreateAsync("vms", body))["id"]!;
        var log = _app.Service<KrautPaths>().ConsoleFor(_vm);
        await Eventually.WaitUntilAsync(() => File.Exists(log) && GuestConsole.Read(log).Contains("KRAUT-USAGE-WROTE", StringComparison.Ordinal),
            Boot, "KRAUT-USAGE-WROTE on the guest's console (its user-data wrote to the disk)");
    }

    private string ConsoleTail()
    {
        var text = GuestConsole.Read(_app.Service<KrautPaths>().ConsoleFor(_vm));
        return text.Length > 600 ? text[^600..] : text;
    }

    public Task DisposeAsync()
    {
        _app.Dispose(); // removes the instance's domains and their disks
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ABusyGuest_IsSampledWithRisingCpuTime_HighCpuPercent_AndItsDiskWrites()
    {
        var reader = _app.Service<IUsageReader>();
        KrautPortal.Hypervisor.DomainStats? Domain() => reader.Latest.SelectMany(h => h.Domains).FirstOrDefault(d => d.Uuid == _vm);

        // The binding on a real guest: CPU time, the QEMU process's memory, and the disk's counters are all there.
        // The latest sample may predate the guest's write by an interval: wait for one that has it.
        KrautPortal.Hypervisor.DomainStats first;
        try
        {
            first = await Eventually.WaitForAsync(
                () => Task.FromResult<KrautPortal.Hypervisor.DomainStats?>(Domain() is { CpuTimeNanoseconds: > 0 } d && d.Blocks.Any(b => b.Device == "vda" && b.WriteBytes >= WrittenBytes) ? d : null),
                TimeSpan.FromSeconds(20), $"a sample of the guest with CPU time and {WrittenBytes} bytes written to vda");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; last sample: {Domain()} (blocks: {string.Join(", ", Domain()?.Blocks ?? [])}); console: {ConsoleTail()}", e);
        }

        Assert.NotNull(first.MemoryRssKiB);
        Assert.Contains(reader.Latest.SelectMany(h => h.Vms.Values), v => v.VmId == _vm);

        // A spinning vCPU: its CPU time grows about as fast as the clock, so CPU % of its one vCPU is high.
        var later = await Eventually.WaitForAsync(
            () => Task.FromResult<KrautPortal.Hypervisor.DomainStats?>(Domain() is { } d && d.CpuTimeNanoseconds >= first.CpuTimeNanoseconds + 3_000_000_000UL ? d : null),
            TimeSpan.FromSeconds(30), "the guest's CPU time to grow by 3 s");
        Assert.True(later.CpuTimeNanoseconds > first.CpuTimeNanoseconds);

        var api = new ApiClient(_app);
        var usage = await Eventually.WaitForAsync(async () =>
        {
            var points = (await api.GetAsync($"/api/v1/vms/{_vm}/usage?range=1h"))["points"]!.AsArray();
            return points.Count(p => (double?)p!["cpuPercent"] > 50) >= 2 ? points : null;
        }, TimeSpan.FromSeconds(30), "two samples with CPU above 50 %");
        Assert.All(usage, p => Assert.True((double?)p!["cpuPercent"] is null or (>= 0 and <= 100)));
        Assert.Contains(usage, p => (double?)p!["memoryUsedBytes"] > 0);

        // The disk writes happened before or between samples: the stored counter holds them, and the installation's totals count the VM.
        var rows = await _app.WithScopeAsync<UsageQueries, IReadOnlyList<UsageTotalPoint>>(q => q.TotalsAsync(UsageRange.Day, null, default));
        Assert.Contains(rows, r => r.RunningVms >= 1 && r.CpuPercent > 50);
        var stored = await _app.WithScopeAsync<KrautDbContext, long>(db => db.UsageSamples.Where(s => s.VmId == _vm).MaxAsync(s => s.DiskWriteBytes));
        Assert.True(stored >= WrittenBytes, $"stored disk write counter {stored}");
    }
}
