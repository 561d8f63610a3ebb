using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KrautPortal.Benchmarks.Support;

namespace KrautPortal.Benchmarks.Upload;

/// <summary>
/// upload: a 2 GiB file (no zeros, so nothing becomes a hole) PUT to the built portal with curl -T, against cp of
/// the same file on the same file system, alternating, in one run; with the portal's memory during the uploads.
/// </summary>
public static class UploadBenchmark
{
    public const long Size = 2L << 30;
    private const int MiB = 1 << 20;

    public static async Task<string> RunAsync(int iterations)
    {
        var loadAtStart = MachineInfo.LoadAverage();
        Console.WriteLine($"[upload] the test guest (the portal's seed image, built if need be) is in {TestGuest.Directory}");

        var portal = BenchPortal.Create();
        await using var _ = portal;
        Console.WriteLine($"[upload] starting the portal on {portal.BaseAddress} with data in {portal.DataDirectory}");
        await portal.StartAsync(TimeSpan.FromMinutes(2));
        using var client = portal.CreateClient();

        // Source and copy live in the portal's data directory: the same file system its uploads are written to.
        var work = Directory.CreateDirectory(Path.Combine(portal.DataDirectory, "upload-bench")).FullName;
        var source = Path.Combine(work, "source.img");
        Console.WriteLine($"[upload] writing a {Size >> 30} GiB source file without zero blocks");
        await WriteSourceAsync(source);
        var disk = (await Tool.RunAsync("findmnt", "-no", "SOURCE,FSTYPE", "-T", work)).Trim();
        var pid = portal.ProcessId;
        var hwmBefore = ProcStatusKiB(pid, "VmHWM");
        var rssBefore = ProcStatusKiB(pid, "VmRSS");

        var cpTimes = new List<double>();
        var cpSyncTimes = new List<double>();
        var uploadTimes = new List<double>();
        var readyTimes = new List<double>();
        var peaks = new List<long>();
        for (var i = 0; i <= iterations; i++)
        {
            // Alternate who goes first, so a slow spell on the machine does not always hit the same side; 0 is a warm-up.
            var cp = default((double Copy, double Synced));
            var up = default((double Upload, double Ready, long PeakKiB));
            if (i % 2 == 1)
            {
                cp = await CopyAsync(source, work);
                up = await UploadAsync(client, portal, source, pid);
            }
            else
            {
                up = await UploadAsync(client, portal, source, pid);
                cp = await CopyAsync(source, work);
            }
            Console.WriteLine($"[upload] {(i == 0 ? "warm-up" : $"{i}/{iterations}")}: cp {cp.Copy:0} ms (+fsync {cp.Synced:0} ms), " +
                $"upload {up.Upload:0} ms, portal peak RSS {up.PeakKiB / 1024} MiB, converted and ready {up.Ready:0} ms later");
            if (i == 0) continue;
            cpTimes.Add(cp.Copy);
            cpSyncTimes.Add(cp.Synced);
            uploadTimes.Add(up.Upload);
            readyTimes.Add(up.Ready);
            peaks.Add(up.PeakKiB);
        }
        var hwmAfter = ProcStatusKiB(pid, "VmHWM");
        File.Delete(source);

        var cpStats = Stats.Of(cpTimes);
        var cpSyncStats = Stats.Of(cpSyncTimes);
        var uploadStats = Stats.Of(uploadTimes);
        var ratio = cpStats.P50 / uploadStats.P50;
        var ratioSynced = cpSyncStats.P50 / uploadStats.P50;

        var text = new StringBuilder();
        text.AppendLine("## upload throughput");
        text.AppendLine();
        text.Append(await MachineInfo.DescribeAsync(loadAtStart));
        text.AppendLine($"- Disk: `{disk}` (source, copy and the portal's images/incoming all on it)");
        text.AppendLine();
        text.AppendLine($"A {Size >> 30} GiB file of random 1 MiB blocks (no zero blocks, so the portal writes every byte; no holes). " +
            $"{iterations} measured iterations per side after one warm-up each, alternating which goes first. The source is read from the page cache by both sides.");
        text.AppendLine();
        var table = new MarkdownTable("side (ms)", "p50", "p95", "max", "MiB/s (p50)");
        void Row(string name, Stats s) => table.Add(name, Stats.Ms(s.P50), Stats.Ms(s.P95), Stats.Ms(s.Max), Throughput(s.P50));
        Row("`cp source copy` (same file system)", cpStats);
        Row("`cp` + `sync copy` (fsync: as durable as an upload)", cpSyncStats);
        Row("Kraut: `curl -T source …/api/v1/images/{id}/content` → 202", uploadStats);
        table.Add("extra: 202 → ready (real qemu-img convert raw → qcow2, not part of the upload)", Stats.Ms(Stats.Of(readyTimes).P50),
            Stats.Ms(Stats.Of(readyTimes).P95), Stats.Ms(Stats.Of(readyTimes).Max), "–");
        text.Append(table);
        text.AppendLine();
        text.AppendLine($"**Upload throughput / cp throughput (p50): {Percent(ratio)}** (aim: at least 80 %); against cp + fsync: {Percent(ratioSynced)}.");
        text.AppendLine();
        text.AppendLine($"Portal memory (`/proc/<pid>/status` of the portal process): VmRSS {rssBefore / 1024} MiB and VmHWM {hwmBefore / 1024} MiB before the first upload; " +
            $"peak VmRSS sampled every 20 ms during each upload: {string.Join(", ", peaks.Select(p => (p / 1024).ToString(CultureInfo.InvariantCulture)))} MiB; " +
            $"VmHWM after all {iterations + 1} uploads ({(iterations + 1) * (Size >> 30)} GiB): {hwmAfter / 1024} MiB.");
        text.AppendLine();
        text.AppendLine("How each side is timed:");
        text.AppendLine("- cp: coreutils `cp` from the source to a new file in the same directory, as a child process, wall clock; then `sync <copy>` (fsync of that file) timed separately and added for the second row. The copy is deleted after each iteration.");
        text.AppendLine("- Kraut: a new image is created through the API first (not timed), then `curl -sS -T source -H 'Authorization: Bearer …' http://127.0.0.1:<port>/api/v1/images/<id>/content` is timed from process start to exit with 202 (the portal has streamed, hashed and fsynced the content and renamed it for the pipeline). The image is then left to become ready and deleted through the API before the next iteration.");
        return text.ToString();
    }

    private static async Task<(double Copy, double Synced)> CopyAsync(string source, string work)
    {
        var copy = Path.Combine(work, "copy.img");
        var clock = Stopwatch.StartNew();
        await Tool.RunAsync("cp", source, copy);
        var copied = clock.Elapsed.TotalMilliseconds;
        await Tool.RunAsync("sync", copy);
        var synced = clock.Elapsed.TotalMilliseconds;
        File.Delete(copy);
        return (copied, synced);
    }

    private static async Task<(double Upload, double Ready, long PeakKiB)> UploadAsync(HttpClient client, PortalProcess portal, string source, int pid)
    {
        var id = await CreateImageAsync(client);
        long peak = 0;
        using var done = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                peak = Math.Max(peak, ProcStatusKiB(pid, "VmRSS"));
                await Task.Delay(20);
            }
        });
        var clock = Stopwatch.StartNew();
        var curl = await Tool.TryAsync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-T", source,
            "-H", "Authorization: " + portal.GodHeader, new Uri(portal.BaseAddress, $"api/v1/images/{id}/content").ToString()]);
        var uploaded = clock.Elapsed.TotalMilliseconds;
        await done.CancelAsync();
        await sampler;
        if (curl.ExitCode != 0 || curl.StdOut.Trim() != "202")
            throw new InvalidOperationException($"curl -T exited {curl.ExitCode} with HTTP {curl.StdOut.Trim()}: {curl.StdErr}\n{portal.Log[^Math.Min(4000, portal.Log.Length)..]}");

        var phase = await WaitForPhaseAsync(client, id, "ready", "failed");
        if (phase != "ready") throw new InvalidOperationException($"image {id} ended {phase}, not ready");
        var ready = clock.Elapsed.TotalMilliseconds - uploaded;
        using var deleted = await client.DeleteAsync($"api/v1/images/{id}");
        if (!deleted.IsSuccessStatusCode) throw new InvalidOperationException($"deleting image {id} answered {(int)deleted.StatusCode}");
        return (uploaded, ready, peak);
    }

    private static async Task<Guid> CreateImageAsync(HttpClient client)
    {
        using var response = await client.PostAsJsonAsync("api/v1/images", new
        {
            name = "upload-bench-" + Guid.NewGuid().ToString("N")[..8],
            spec = new { architecture = "x86_64" },
        });
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"creating an image answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    private static async Task<string> WaitForPhaseAsync(HttpClient client, Guid id, params string[] phases)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var json = JsonDocument.Parse(await client.GetStringAsync($"api/v1/images/{id}")).RootElement;
            var phase = json.GetProperty("status").GetProperty("phase").GetString()!;
            if (phases.Contains(phase)) return phase;
            if (deadline.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException($"image {id} stayed {phase}");
            await Task.Delay(100);
        }
    }

    /// <summary>Random 1 MiB blocks, each made different by its index, none all zeros; fsynced, then read once so both sides find it cached.</summary>
    private static async Task WriteSourceAsync(string path)
    {
        var block = RandomNumberGenerator.GetBytes(MiB);
        await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 0))
        {
            for (long i = 0; i < Size / MiB; i++)
            {
                BitConverter.TryWriteBytes(block.AsSpan(0, 8), i + 1);
                await file.WriteAsync(block);
            }
            file.Flush(flushToDisk: true);
        }
        await using var read = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0);
        while (await read.ReadAsync(block) > 0)
        {
            // only to bring it into the page cache
        }
    }

    /// <summary>A "Name: 1234 kB" line of /proc/&lt;pid&gt;/status, in KiB.</summary>
    private static long ProcStatusKiB(int pid, string name)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(name + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    private static string Throughput(double ms) => (Size / (double)MiB / (ms / 1000)).ToString("0", CultureInfo.InvariantCulture);

    private static string Percent(double ratio) => (100 * ratio).ToString("0", CultureInfo.InvariantCulture) + " %";
}
