using System.Diagnostics;
using System.Globalization;
using System.Text;
using KrautPortal.Benchmarks.Support;

namespace KrautPortal.Benchmarks.Conversion;

/// <summary>
/// conversion: an image through Kraut's pipeline (inspect, check, convert with progress, read back, durable
/// publish, Ready) against plain <c>qemu-img convert</c> of the same file to the same format, alternating, in one
/// run. The input is hard-linked into the pipeline's incoming directory, so both sides read the very same inode
/// from the same page cache; each side writes its output on the same file system.
/// </summary>
public static class ConvertBenchmark
{
    /// <summary>An input: how it is made from a raw disk, and the format qemu-img is told it has.</summary>
    private sealed record Input(string Name, string Format, string Path, long VirtualBytes, long FileBytes);

    public static async Task<string> RunAsync(int iterations, int dataMiB)
    {
        var loadAtStart = MachineInfo.LoadAverage();
        await using var host = await PipelineHost.StartAsync();
        // Inputs live next to the portal's image store: same file system, so a hard link hands one over.
        var inputsDirectory = Directory.CreateDirectory(Path.Combine(host.DataDirectory, "bench-inputs")).FullName;
        Console.WriteLine($"[convert] making inputs with {dataMiB} MiB of data in {inputsDirectory}");
        var inputs = await MakeInputsAsync(inputsDirectory, dataMiB);

        var rows = new List<(Input Input, List<Sample> Kraut, List<double> Plain, List<double> PlainSynced)>();
        foreach (var input in inputs)
        {
            var kraut = new List<Sample>();
            var plain = new List<double>();
            var synced = new List<double>();
            Console.WriteLine($"[convert] {input.Name}: warm-up on both sides (not counted)");
            await KrautOnceAsync(host, input, 0);
            await PlainOnceAsync(input, inputsDirectory, sync: false);
            for (var i = 1; i <= iterations; i++)
            {
                // Alternate who goes first, so a slow spell or background writeback does not always hit the same side.
                if (i % 2 == 1)
                {
                    kraut.Add(await KrautOnceAsync(host, input, i));
                    plain.Add(await PlainOnceAsync(input, inputsDirectory, sync: false));
                    synced.Add(await PlainOnceAsync(input, inputsDirectory, sync: true));
                }
                else
                {
                    synced.Add(await PlainOnceAsync(input, inputsDirectory, sync: true));
                    plain.Add(await PlainOnceAsync(input, inputsDirectory, sync: false));
                    kraut.Add(await KrautOnceAsync(host, input, i));
                }
                Console.WriteLine($"[convert] {input.Name} {i}/{iterations}: Kraut {Stats.Ms(kraut[^1].TotalMs)} ms, " +
                    $"qemu-img convert {Stats.Ms(plain[^1])} ms, + sync {Stats.Ms(synced[^1])} ms");
            }
            rows.Add((input, kraut, plain, synced));
        }

        var report = Report(iterations, dataMiB, rows);
        Console.WriteLine();
        Console.WriteLine(report);
        return "## conversion\n\n" + await MachineInfo.DescribeAsync(loadAtStart) + "\n" + report;
    }

    private sealed record Sample(double TotalMs, double ToConvertingMs);

    private static async Task<Sample> KrautOnceAsync(PipelineHost host, Input input, int iteration)
    {
        var id = await host.CreateCheckingImageAsync($"bench-{input.Name}-{iteration}");
        await Tool.RunAsync("ln", input.Path, host.Storage.ArrivedPath(id));
        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var (converting, final) = await host.EnqueueAndWaitAsync(id, TimeSpan.FromMinutes(10));
        var total = clock.Elapsed.TotalMilliseconds;
        if (final.VirtualSizeBytes != input.VirtualBytes)
            throw new InvalidOperationException($"{input.Name}: the pipeline made a {final.VirtualSizeBytes}-byte disk, expected {input.VirtualBytes}");
        if (!File.Exists(input.Path)) throw new InvalidOperationException("the pipeline removed the input instead of its link");
        await host.DeleteAsync(id);
        return new Sample(total, converting is { } c ? (c - started).TotalMilliseconds : double.NaN);
    }

    /// <summary>Plain qemu-img convert, as a person would run it; with <paramref name="sync"/> followed by sync of the output file.</summary>
    private static async Task<double> PlainOnceAsync(Input input, string directory, bool sync)
    {
        var output = Path.Combine(directory, "plain-output.qcow2");
        File.Delete(output);
        var clock = Stopwatch.StartNew();
        await Tool.RunAsync("qemu-img", "convert", "-f", input.Format, "-O", "qcow2", input.Path, output);
        if (sync) await Tool.RunAsync("sync", output);
        var elapsed = clock.Elapsed.TotalMilliseconds;
        await Tool.RunAsync("qemu-img", "compare", "-q", "-f", input.Format, "-F", "qcow2", input.Path, output);
        File.Delete(output);
        return elapsed;
    }

    /// <summary>
    /// A raw disk of twice <paramref name="dataMiB"/> with random data in every other MiB (a disk with used and
    /// unused areas, which converters must tell apart), and the same disk as qcow2, vmdk, vhdx and vdi.
    /// </summary>
    private static async Task<List<Input>> MakeInputsAsync(string directory, int dataMiB)
    {
        var raw = Path.Combine(directory, "disk.raw");
        await using (var file = File.Create(raw))
        {
            var chunk = new byte[1 << 20];
            var random = new Random(20261125);
            for (var i = 0; i < 2 * dataMiB; i++)
            {
                if (i % 2 == 0)
                {
                    random.NextBytes(chunk);
                    await file.WriteAsync(chunk);
                }
                else
                {
                    file.Seek(1 << 20, SeekOrigin.Current);
                }
            }
            file.SetLength(2L * dataMiB << 20);
        }
        var virtualBytes = 2L * dataMiB << 20;
        var inputs = new List<Input> { new("raw", "raw", raw, virtualBytes, new FileInfo(raw).Length) };
        foreach (var format in new[] { "qcow2", "vmdk", "vhdx", "vdi" })
        {
            var path = Path.Combine(directory, "disk." + format);
            await Tool.RunAsync("qemu-img", "convert", "-f", "raw", "-O", format, raw, path);
            inputs.Add(new Input(format, format, path, virtualBytes, new FileInfo(path).Length));
        }
        await Tool.RunAsync("sync");
        return inputs;
    }

    private static string Report(int iterations, int dataMiB, List<(Input Input, List<Sample> Kraut, List<double> Plain, List<double> PlainSynced)> rows)
    {
        var table = new MarkdownTable("input → qcow2", "file", "Kraut p50 (ms)", "of which to Converting", "qemu-img convert p50 (ms)", "+ sync p50 (ms)",
            "Kraut / qemu-img convert", "Kraut / convert + sync");
        var ratios = new List<double>();
        var syncedRatios = new List<double>();
        foreach (var (input, kraut, plain, synced) in rows)
        {
            var k = Stats.Of(kraut.Select(s => s.TotalMs)).P50;
            var p = Stats.Of(plain).P50;
            var s = Stats.Of(synced).P50;
            ratios.Add(k / p);
            syncedRatios.Add(k / s);
            table.Add(input.Name, $"{input.FileBytes / (1024.0 * 1024):0} MiB", Stats.Ms(k), Stats.Ms(Stats.Of(kraut.Select(x => x.ToConvertingMs)).P50),
                Stats.Ms(p), Stats.Ms(s), Stats.Ratio(k, p), Stats.Ratio(k, s));
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Each input is a {2 * dataMiB} MiB disk with {dataMiB} MiB of random data in every other MiB, made as raw and converted from it with qemu-img to qcow2, vmdk, vhdx and vdi. Each is converted to qcow2 (the default storage format).");
        text.AppendLine(CultureInfo.InvariantCulture, $"{iterations} measured iterations per side and input after one warm-up each, alternating who goes first; p50 is the median.");
        text.AppendLine();
        text.Append(table.ToString());
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"**Ratio Kraut / plain `qemu-img convert` (median of the per-input medians): {Median(ratios):0.00}×** (aim: at most 1.1×)");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"**Ratio Kraut / `qemu-img convert` + `sync` of the output (median of the per-input medians): {Median(syncedRatios):0.00}×** (the same durability as the pipeline, which must not publish an image a crash could leave half-written)");
        text.AppendLine();
        text.AppendLine("How each side is timed:");
        text.AppendLine("- Kraut: the portal's own composition in the benchmark process (AddKraut, InitializeKrautAsync, hosted services), SQLite, libvirt's test driver. " +
            "An image record in phase Checking, the input hard-linked to its `.arrived` path (what an upload hands over), then the clock runs from `IImagePipeline.Enqueue` " +
            "until the stored status is Ready, woken by the change feed. That is: magic-byte detection and header checks, `qemu-img info` under limits, `qemu-img check` " +
            "for qcow2, `qemu-img convert -p` through a json: source with the backing file switched off, progress stored at most every 250 ms, `qemu-img info` of the result, " +
            "fsync of the output and of its directory, rename into place, status writes. \"of which to Converting\" is until the pipeline stored phase Converting " +
            "(inspection done).");
        text.AppendLine("- qemu-img convert: `qemu-img convert -f <format> -O qcow2 <same file> <output>` as one process, no progress, no checks, no fsync. " +
            "\"+ sync\" adds `sync <output>` (an fsync of the output), which the pipeline does so that a crash cannot leave a half image in the store.");
        text.AppendLine("- Each output is compared with its input (`qemu-img compare`, outside the timing) and deleted; every Kraut image is deleted with its content.");
        return text.ToString();
    }

    private static double Median(List<double> values) => Stats.Of(values).P50;
}
