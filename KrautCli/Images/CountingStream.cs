namespace KrautCli.Images;

/// <summary>
/// A read-only view of a file from an offset that reports how far reading has come; with a stop point it breaks off
/// there like a cut connection (the tests' hidden <c>--stop-after-bytes</c>).
/// </summary>
public sealed class CountingStream(Stream inner, long position, Action<long> report, long? stopAt) : Stream
{
    /// <summary>Where it broke off on purpose, once it has.</summary>
    public long? StoppedAt { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => inner.Length;

    public override long Position
    {
        get => position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var limit = Limit(buffer.Length);
        return Count(inner.Read(buffer[..limit]));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var limit = Limit(buffer.Length);
        return Count(await inner.ReadAsync(buffer[..limit], cancellationToken));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Limit(int wanted)
    {
        if (stopAt is not { } stop) return wanted;
        if (position >= stop)
        {
            StoppedAt = stop;
            throw new StoppedOnPurposeException(stop);
        }
        return (int)Math.Min(wanted, stop - position);
    }

    private int Count(int read)
    {
        position += read;
        report(position);
        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>The upload broke off where <c>--stop-after-bytes</c> said (a test's cut connection).</summary>
public sealed class StoppedOnPurposeException(long at) : IOException($"stopped on purpose after byte {at} (--stop-after-bytes)")
{
    public long At { get; } = at;
}
