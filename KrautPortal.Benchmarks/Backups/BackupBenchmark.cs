using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using KrautPortal.Benchmarks.Support;
using KrautPortal.TestSupport;

namespace KrautPortal.Benchmarks.Backups;

/// <summary>
/// backup: one running test guest with a 1 GiB disk and <c>--data-mib</c> of random data written into it. Kraut's full
/// backup (libvirt push job, checksum, status) and incremental backup (after a further 16 MiB written) through the API,
/// each against <c>qemu-img convert -U</c> of the same running disk by hand; then a restore into a new (stopped) VM
/// through the API against <c>qemu-img convert</c> of the same backup chain by hand. Kraut's times run from the POST
/// until the API reports the result (its runner asks about the job every 100 ms for its first 10 s, then every second).
/// </summary>
public static class BackupBenchmark
{
    private const double Mib = 1024 * 1024;

    public static async Task<string> RunAsync(int iterations, int dataMiB)
    {
        var loadAtStart = MachineInfo.LoadAverage();
        var portal = BenchPortal.Create();
        await using var _ = portal;
        await portal.StartAsync(TimeSpan.FromMinutes(2));
        using var client = portal.CreateClient();
        var vm = await CreateVmAsync(client);
        await WaitAsync(client, $"api/v1/vms/{vm}", s => s.GetProperty("phase").GetString() == "running", TimeSpan.FromMinutes(3));
        var disk = portal.DiskFor(vm);
        Console.WriteLine($"[backup] VM {vm} runs; writing {dataMiB} MiB of random data into its disk");
        await WriteDataAsync(vm, seekMiB: 128, dataMiB);

        var full = new List<(double Kraut, double ByHand, long Bytes)>();
        var incremental = new List<(double Kraut, double ByHand, long Bytes)>();
        string? lastIncremental = null;
        for (var i = 1; i <= iterations; i++)
        {
            var (fullMs, _, fullSize) = await BackUpAsync(client, vm, "full");
            var byHandFull = ConvertByHand(disk, portal.DataDirectory, force: true);
            full.Add((fullMs, byHandFull, fullSize));
            await WriteDataAsync(vm, seekMiB: 128 + dataMiB + 16 * i, 16);
            var (incMs, incId, incSize) = await BackUpAsync(client, vm, "incremental");
            var byHandInc = ConvertByHand(disk, portal.DataDirectory, force: true);
            incremental.Add((incMs, byHandInc, incSize));
            lastIncremental = incId;
            Console.WriteLine($"[backup] {i}/{iterations}: full {fullMs:0} ms ({fullSize / Mib:0.0} MiB) vs qemu-img convert {byHandFull:0} ms; "
                + $"incremental {incMs:0} ms ({incSize / Mib:0.0} MiB) vs {byHandInc:0} ms");
        }

        // Restore of the newest incremental (its chain: full + incremental) into a new VM, against flattening the same chain by hand.
        var backup = await client.GetFromJsonAsync<JsonElement>($"api/v1/backups/{lastIncremental}");
        var chainTop = backup.GetProperty("status").GetProperty("file").GetString()!;
        var restore = new List<(double Kraut, double ByHand)>();
        for (var i = 1; i <= iterations; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            using var response = await client.PostAsJsonAsync($"api/v1/backups/{lastIncremental}/restore",
                new { name = $"restored-{i}-{Guid.NewGuid().ToString("N")[..6]}", start = false });
            response.EnsureSuccessStatusCode();
            var restored = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            await WaitAsync(client, $"api/v1/vms/{restored}", s => s.GetProperty("phase").GetString() == "stopped", TimeSpan.FromMinutes(3));
            var krautMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            var byHand = ConvertByHand(chainTop, portal.DataDirectory, force: false);
            restore.Add((krautMs, byHand));
            Console.WriteLine($"[backup] restore {i}/{iterations}: Kraut {krautMs:0} ms vs qemu-img convert {byHand:0} ms");
            (await client.DeleteAsync($"api/v1/vms/{restored}")).EnsureSuccessStatusCode();
        }

        var report = Report(iterations, dataMiB, full, incremental, restore, await MachineInfo.DescribeAsync(loadAtStart));
        Console.WriteLine(report);
        return report;
    }

    private static string Report(int iterations, int dataMiB, List<(double Kraut, double ByHand, long Bytes)> full,
        List<(double Kraut, double ByHand, long Bytes)> incremental, List<(double Kraut, double ByHand)> restore, string machine)
    {
        var table = new MarkdownTable("What", "Kraut p50", "by hand p50", "Kraut / by hand", "Kraut's file");
        void Row(string what, IEnumerable<double> kraut, IEnumerable<double> byHand, string size)
        {
            var k = Stats.Of(kraut).P50;
            var h = Stats.Of(byHand).P50;
            table.Add(what, Stats.Ms(k) + " ms", Stats.Ms(h) + " ms", Stats.Ratio(k, h), size);
        }
        Row("full backup of the running guest", full.Select(f => f.Kraut), full.Select(f => f.ByHand), $"{full.Average(f => f.Bytes) / Mib:0.0} MiB");
        Row("incremental backup (16 MiB changed)", incremental.Select(f => f.Kraut), incremental.Select(f => f.ByHand), $"{incremental.Average(f => f.Bytes) / Mib:0.0} MiB");
        Row("restore (full + incremental) into a new VM", restore.Select(r => r.Kraut), restore.Select(r => r.ByHand), "");
        var text = new StringBuilder();
        text.AppendLine("## backup: full and incremental backups of a running guest, and restore, vs qemu-img convert");
        text.AppendLine();
        text.AppendLine($"One running test guest (TCG when the machine has no KVM), 1 GiB disk with {dataMiB.ToString(CultureInfo.InvariantCulture)} MiB of random data; "
            + $"{iterations.ToString(CultureInfo.InvariantCulture)} rounds. By hand: `qemu-img convert -U -f qcow2 -O qcow2` of the running VM's disk (backups), "
            + "of the backup chain (restore). Kraut: from the POST until the API reports it done (completed with its SHA-256; the restored VM stopped with its disk made).");
        text.AppendLine();
        text.Append(table);
        text.AppendLine();
        text.Append(machine);
        return text.ToString();
    }

    private static async Task<Guid> CreateVmAsync(HttpClient client)
    {
        var body = new
        {
            name = $"bench-backup-{Guid.NewGuid().ToString("N")[..6]}",
            spec = new
            {
                imageId = await IdOfAsync(client, "images", "kraut-test-guest"),
                machineTypeId = await IdOfAsync(client, "machine-types", "small"),
                diskGiB = 1,
                nics = new[] { new { networkId = await IdOfAsync(client, "networks", "default") } },
            },
        };
        using var response = await client.PostAsJsonAsync("api/v1/vms", body);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    /// <summary>Random data written by the guest itself past its root file system (the image's 64 MiB), synced.</summary>
    private static async Task WriteDataAsync(Guid vm, int seekMiB, int mib)
    {
        using var console = GuestSerial.Open(TestHosts.System, vm);
        await console.WaitForShellAsync(TimeSpan.FromMinutes(2));
        var token = Guid.NewGuid().ToString("N")[..8];
        var since = console.Length;
        await console.SendLineAsync($"dd if=/dev/urandom of=/dev/vda bs=1M seek={seekMiB} count={mib} conv=fsync 2>/dev/null; echo data-{token}-$((6*7))");
        await console.WaitForAsync($"data-{token}-42", TimeSpan.FromMinutes(10), since);
    }

    private static async Task<(double Ms, string Id, long Bytes)> BackUpAsync(HttpClient client, Guid vm, string kind)
    {
        var t0 = Stopwatch.GetTimestamp();
        using var response = await client.PostAsJsonAsync($"api/v1/vms/{vm}/backups", new { kind });
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var status = await WaitAsync(client, $"api/v1/backups/{id}", s => s.GetProperty("phase").GetString() is "completed", TimeSpan.FromMinutes(10));
        return (Stopwatch.GetElapsedTime(t0).TotalMilliseconds, id, status.GetProperty("sizeBytes").GetInt64());
    }

    private static double ConvertByHand(string source, string directory, bool force)
    {
        var target = Path.Combine(directory, $"by-hand-{Guid.NewGuid():N}.qcow2");
        var t0 = Stopwatch.GetTimestamp();
        Tool.Run("qemu-img", force ? ["convert", "-U", "-f", "qcow2", "-O", "qcow2", source, target] : ["convert", "-f", "qcow2", "-O", "qcow2", source, target]);
        var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        File.Delete(target);
        return ms;
    }

    private static async Task<JsonElement> WaitAsync(HttpClient client, string url, Func<JsonElement, bool> done, TimeSpan timeout)
    {
        var t0 = Stopwatch.GetTimestamp();
        while (true)
        {
            var status = (await client.GetFromJsonAsync<JsonElement>(url)).GetProperty("status");
            if (done(status)) return status;
            if (status.GetProperty("phase").GetString() == "failed") throw new InvalidOperationException($"{url} failed: {status}");
            if (Stopwatch.GetElapsedTime(t0) > timeout) throw new TimeoutException($"{url}: {status}");
            await Task.Delay(50);
        }
    }

    private static async Task<Guid> IdOfAsync(HttpClient client, string kind, string name)
    {
        var list = await client.GetFromJsonAsync<JsonElement>($"api/v1/{kind}?limit=500");
        foreach (var item in list.GetProperty("items").EnumerateArray())
            if (item.GetProperty("name").GetString() == name) return item.GetProperty("id").GetGuid();
        throw new InvalidOperationException($"the portal has no {kind} named {name}");
    }
}
