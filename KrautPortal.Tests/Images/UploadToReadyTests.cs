using System.IO.Compression;
using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features.Images;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Images;

/// <summary>
/// Uploads handed on to the real image pipeline (real qemu-img): a disk ends Ready in the storage format with the
/// same disk content, junk ends Failed with its reason, and neither leaves incoming content behind.
/// </summary>
public sealed class UploadToReadyTests(ImagePortal portal) : IClassFixture<ImagePortal>
{
    private const int MiB = 1 << 20;

    [Fact]
    public async Task Put_OfAQcow2Disk_GoesReady_StoredAsQcow2_HoldingTheSameDisk()
    {
        using var disk = TestDisk.Create();
        var upload = await File.ReadAllBytesAsync(disk.Qcow2);
        var id = await portal.CreateImageAsync("qcow2");

        using (var response = await portal.PutBytesAsync(id, upload, sha256Header: ImagePortal.Sha256(upload)))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        portal.Pipeline.Release(id);

        var status = await WaitUntilSettledAsync(id);
        Assert.True((string?)status["phase"] == "ready", status.ToJsonString());
        Assert.Equal("qcow2", (string?)status["format"]);
        Assert.Equal("qcow2", (string?)status["sourceFormat"]);
        Assert.Equal(TestDisk.Size, (long)status["virtualSizeBytes"]!);
        Assert.Equal(ImagePortal.Sha256(upload), (string?)status["sha256"]);
        // Exit status 0 only when both read as the same disk, byte for byte.
        Tool.Run("qemu-img", "compare", "-f", "raw", "-F", "qcow2", disk.Raw, StoredPath(id));
        portal.AssertNothingLeft(id);
    }

    [Fact]
    public async Task Put_OfARawDisk_IsConvertedToQcow2_AndReady()
    {
        using var disk = TestDisk.Create();
        var id = await portal.CreateImageAsync("raw");

        await using (var stream = File.OpenRead(disk.Raw))
        using (var response = await portal.PutAsync(id, new StreamContent(stream)))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        portal.Pipeline.Release(id);

        var status = await WaitUntilSettledAsync(id);
        Assert.True((string?)status["phase"] == "ready", status.ToJsonString());
        Assert.Equal("raw", (string?)status["sourceFormat"]);
        Assert.Equal("qcow2", (string?)status["format"]);
        Assert.Equal("QFI\u00fb", System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(StoredPath(id))[..4]));
        Tool.Run("qemu-img", "compare", "-f", "raw", "-F", "qcow2", disk.Raw, StoredPath(id));
        portal.AssertNothingLeft(id);
    }

    [Fact]
    public async Task Put_OfAGzippedFile_IsFailed_SayingSo_AndNoContentStays()
    {
        using var packed = new MemoryStream();
        await using (var gzip = new GZipStream(packed, CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(ImagePortal.RandomBytes(MiB));
        }
        var id = await portal.CreateImageAsync("junk");

        using (var response = await portal.PutBytesAsync(id, packed.ToArray()))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        portal.Pipeline.Release(id);

        var status = await WaitUntilSettledAsync(id);
        Assert.True((string?)status["phase"] == "failed", status.ToJsonString());
        Assert.Contains("gzip-compressed", (string?)status["message"], StringComparison.Ordinal);
        portal.AssertNothingLeft(id);
        Assert.False(File.Exists(StoredPath(id)));

        // Failed is not the end: a real disk is taken afterwards.
        using var disk = TestDisk.Create();
        using (var again = await portal.PutBytesAsync(id, await File.ReadAllBytesAsync(disk.Qcow2)))
        {
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        }
        portal.Pipeline.Release(id);
        var second = await WaitUntilSettledAsync(id);
        Assert.True((string?)second["phase"] == "ready", second.ToJsonString());
    }

    private string StoredPath(Guid id) => portal.App.Service<ImageStorage>().PathFor(id, ImageFormat.Qcow2);

    private Task<JsonObject> WaitUntilSettledAsync(Guid id) =>
        portal.WaitForStatusAsync(id, s => (string?)s["phase"] is "ready" or "failed", "to be ready or failed", seconds: 60);
}

/// <summary>An 8 MiB disk with data at both ends and zeros between, as raw and as qcow2 (made by qemu-img).</summary>
public sealed class TestDisk : IDisposable
{
    public const long Size = 8L << 20;
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("kraut-disk-");

    private TestDisk()
    {
        var bytes = new byte[Size];
        ImagePortal.RandomBytes(1 << 20).CopyTo(bytes, 0);
        ImagePortal.RandomBytes(300_000).CopyTo(bytes, (int)Size - 300_000);
        File.WriteAllBytes(Raw, bytes);
        Tool.Run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", Raw, Qcow2);
    }

    public static TestDisk Create() => new();

    public string Raw => Path.Combine(_directory.FullName, "disk.raw");
    public string Qcow2 => Path.Combine(_directory.FullName, "disk.qcow2");

    public void Dispose() => _directory.Delete(recursive: true);
}
