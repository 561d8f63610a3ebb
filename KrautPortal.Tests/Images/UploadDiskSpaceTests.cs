using System.Net;
using KrautPortal.Features.Images.Upload;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Images;

/// <summary>Tests that measure the whole process or the file system run alone, after the others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "alone";
}

/// <summary>Images:ReserveFreeBytes: refused before reading when the declared size does not fit, stopped when space runs out.</summary>
[Collection(AloneCollection.Name)]
public sealed class UploadDiskSpaceTests
{
    private const int MiB = 1 << 20;

    [Fact]
    public async Task Put_WhenTheReserveIsLargerThanTheFreeSpace_Is507_BeforeReadingAByte_AndChangesNothing()
    {
        using var portal = ImagePortal.With(new Dictionary<string, string?> { ["Images:ReserveFreeBytes"] = (1L << 50).ToString() });
        var id = await portal.CreateImageAsync();
        var stream = new ControlledStream(new byte[2 * MiB]);
        var content = new StreamContent(stream);
        content.Headers.ContentLength = 2 * MiB;

        using var response = await portal.PutAsync(id, content, expectContinue: true);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.InsufficientStorage, "keeps 1024 TiB", "cannot take 2 MiB more");
        Assert.Equal(0, stream.Handed);
        portal.AssertNothingLeft(id);
        Assert.Equal("awaiting-content", await portal.PhaseAsync(id));
    }

    [Fact]
    public async Task Put_WhenSpaceRunsOutWhileStreaming_Is507_AndLeavesNothing()
    {
        // Leave 128 MiB above the reserve, then send more than that: the upload itself uses the space up.
        var probe = Directory.CreateTempSubdirectory("kraut-space-");
        var free = new DriveInfo(probe.FullName).AvailableFreeSpace;
        probe.Delete();
        using var portal = ImagePortal.With(new Dictionary<string, string?> { ["Images:ReserveFreeBytes"] = (free - 128L * MiB).ToString() });
        var id = await portal.CreateImageAsync();
        // Incompressible and never zero (zeros would become holes and take no space).
        var block = ImagePortal.RandomBytes(MiB);
        for (var i = 0; i < block.Length; i++) block[i] |= 1;
        var body = new RepeatingStream(block, 384L * MiB);

        using var response = await portal.PutAsync(id, new StreamContent(body, MiB));

        // The declared size (none) passed the check before reading, so this 507 came from a check while streaming;
        // the failed phase says so too (a refusal before reading changes nothing).
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.InsufficientStorage, "in reserve", "cannot take any more");
        portal.AssertNothingLeft(id);
        var status = await portal.StatusAsync(id);
        Assert.Equal("failed", (string?)status["phase"]);
        Assert.Contains("in reserve", (string?)status["message"], StringComparison.Ordinal);
        Assert.True(ContentReceiver.SpaceCheckBytes <= 64 * MiB, "the check must come before the 128 MiB margin is gone");
    }
}

/// <summary>A block repeated up to a length, read without holding the whole.</summary>
public sealed class RepeatingStream(byte[] block, long length) : Stream
{
    public long Handed { get; private set; }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = (int)Math.Min(Math.Min(count, block.Length - (int)(Handed % block.Length)), length - Handed);
        Array.Copy(block, (int)(Handed % block.Length), buffer, offset, n);
        Handed += n;
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => Handed; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
