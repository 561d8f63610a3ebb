using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Net;
using System.Security.Cryptography;
using KrautPortal.Features.Images;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using Xunit.Abstractions;

namespace KrautPortal.Tests.Images;

/// <summary>A 4 GiB upload streams through fixed buffers: the portal's memory stays flat, the stored bytes are the sent ones.</summary>
[Collection(AloneCollection.Name)]
public sealed class UploadMemoryTests(ITestOutputHelper output)
{
    private const long MiB = 1 << 20;
    private const long Size = 4L << 30;

    /// <summary>
    /// Growth allowed over the baseline while 4 GiB pass through (the portal runs in this process, on real Kestrel).
    /// Measured on the 2-core test host: working set +31 MiB, GC heap +17 MiB (of 206 and 22 MiB before). A portal that
    /// held the body, or even a fortieth of it, would exceed these bounds.
    /// </summary>
    private const long MaxWorkingSetGrowth = 100 * MiB;
    private const long MaxHeapGrowth = 50 * MiB;

    [Fact]
    public async Task Put_4GiBSparseFile_KeepsMemoryFlat_AndStoresExactlyItsBytes_WithSha256sumsChecksum()
    {
        var source = Path.Combine(Path.GetTempPath(), $"kraut-sparse-{Guid.NewGuid():N}.img");
        try
        {
            Tool.Run("truncate", "-s", Size.ToString(System.Globalization.CultureInfo.InvariantCulture), source);
            // A few MiB of data scattered through the zeros, so skipping zeros cannot pass for storing the content.
            await using (var file = new FileStream(source, FileMode.Open, FileAccess.Write))
            {
                foreach (var offset in new[] { 0, (1L << 30) + 12_345, (2L << 30) + 3, Size - MiB })
                {
                    file.Position = offset;
                    await file.WriteAsync(RandomNumberGenerator.GetBytes((int)MiB));
                }
            }
            var expected = Task.Run(() => Tool.Run("sha256sum", source).Split(' ')[0]);

            using var portal = new ImagePortal();
            var id = await portal.CreateImageAsync();
            var warmUp = await portal.CreateImageAsync();
            using (var small = await portal.PutBytesAsync(warmUp, ImagePortal.RandomBytes(8 << 20)))
            {
                Assert.Equal(HttpStatusCode.Accepted, small.StatusCode);
            }
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var baseWorkingSet = WorkingSet();
            var baseHeap = GC.GetTotalMemory(forceFullCollection: false);

            long peakWorkingSet = baseWorkingSet, peakHeap = baseHeap;
            using var done = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!done.IsCancellationRequested)
                {
                    peakWorkingSet = Math.Max(peakWorkingSet, WorkingSet());
                    peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: false));
                    await Task.Delay(50);
                }
            });

            var clock = Stopwatch.StartNew();
            HttpResponseMessage response;
            await using (var stream = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0))
            {
                response = await portal.PutAsync(id, new StreamContent(stream, (int)MiB));
            }
            var elapsed = clock.Elapsed;
            await done.CancelAsync();
            await sampler;

            using (response)
            {
                var json = await ApiClient.ReadAsync(response);
                Assert.True(response.StatusCode == HttpStatusCode.Accepted, json.ToJsonString());
                output.WriteLine($"4 GiB in {elapsed.TotalSeconds:0.0} s; working set {baseWorkingSet / MiB} MiB, peak +{(peakWorkingSet - baseWorkingSet) / MiB} MiB; " +
                    $"GC heap {baseHeap / MiB} MiB, peak +{(peakHeap - baseHeap) / MiB} MiB");
                Assert.True(peakWorkingSet - baseWorkingSet < MaxWorkingSetGrowth,
                    $"the working set grew by {(peakWorkingSet - baseWorkingSet) / MiB} MiB during the upload (allowed: {MaxWorkingSetGrowth / MiB} MiB)");
                Assert.True(peakHeap - baseHeap < MaxHeapGrowth,
                    $"the GC heap grew by {(peakHeap - baseHeap) / MiB} MiB during the upload (allowed: {MaxHeapGrowth / MiB} MiB)");

                var sha256sum = await expected;
                output.WriteLine($"sha256sum of the source done after {clock.Elapsed.TotalSeconds:0.0} s");
                Assert.Equal(sha256sum, (string?)json["status"]!["sha256"]);
                // The stored file itself, read back whole: offsets past 2 and 4 GiB are where an int would have broken.
                var arrived = portal.Files.ArrivedPath(id);
                Assert.Equal(Size, new FileInfo(arrived).Length);
                Assert.Equal(sha256sum, Sha256OfSparseFile(arrived));
                output.WriteLine($"stored file hashed after {clock.Elapsed.TotalSeconds:0.0} s");

                // And on through the real pipeline: the 4 GiB raw disk becomes a Ready qcow2 holding the same disk.
                portal.Pipeline.Release(id);
                var ready = await portal.WaitForStatusAsync(id, s => (string?)s["phase"] is "ready" or "failed", "to be ready or failed", seconds: 300);
                Assert.True((string?)ready["phase"] == "ready", ready.ToJsonString());
                Assert.Equal(Size, (long)ready["virtualSizeBytes"]!);
                Tool.Run("qemu-img", "compare", "-f", "raw", "-F", "qcow2", source,
                    portal.App.Service<ImageStorage>().PathFor(id, ImageFormat.Qcow2));
                portal.AssertNothingLeft(id);
                output.WriteLine($"ready and compared after {clock.Elapsed.TotalSeconds:0.0} s");
            }
        }
        finally
        {
            File.Delete(source);
        }
    }

    /// <summary>
    /// SHA-256 of a file's content, reading its data and hashing its holes as the zeros they read as (SEEK_DATA/SEEK_HOLE):
    /// the same value as reading it all, without paying to read gigabytes of holes. Where holes are not reported, it reads all.
    /// </summary>
    private static string Sha256OfSparseFile(string path)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[4 * MiB];
        var zeros = new byte[4 * MiB];
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        var fd = (int)file.SafeFileHandle.DangerousGetHandle();
        var length = file.Length;
        long position = 0;
        while (position < length)
        {
            var data = Lseek(fd, position, SeekData);
            if (data < 0) data = length; // ENXIO: only a hole remains
            for (var zero = position; zero < data; zero += zeros.Length) hash.AppendData(zeros, 0, (int)Math.Min(zeros.Length, data - zero));
            position = data;
            if (position >= length) break;
            var hole = Lseek(fd, position, SeekHole);
            if (hole < 0) hole = length;
            while (position < hole)
            {
                var read = RandomAccess.Read(file.SafeFileHandle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, hole - position)), position);
                if (read == 0) throw new IOException($"{path} ended at {position} of {length} bytes");
                hash.AppendData(buffer, 0, read);
                position += read;
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private const int SeekData = 3;
    private const int SeekHole = 4;

    [DllImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static extern long Lseek(int fd, long offset, int whence);

    private static long WorkingSet()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }
}
