using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Images.Upload;

/// <summary>What one request or download added to an image's partial content.</summary>
/// <param name="Length">Bytes stored in the partial content now.</param>
/// <param name="Sha256">SHA-256 of what streamed through, when asked for.</param>
/// <param name="Overflowed">The source had more than it was allowed to send; the rest was not stored.</param>
public sealed record Received(long Length, string? Sha256, bool Overflowed);

/// <summary>The source (client or remote server) failed while sending: what arrived before is stored.</summary>
public sealed class ContentSourceException(Exception inner) : Exception(inner.Message, inner);

/// <summary>
/// Streams bytes into an image's partial content through two fixed buffers (one fills while the other is hashed and written), checking the size
/// limit and the free space as it goes. Runs of zeros become holes: a sparse raw disk stays sparse.
/// </summary>
public sealed class ContentReceiver(IncomingFiles files, ImageStorage storage, IOptions<ImagesOptions> options, ILogger<ContentReceiver> logger)
{
    public const int BufferBytes = 1 << 20;
    private const int HoleBytes = 64 << 10;

    /// <summary>Free space is checked again after every this many bytes (a statvfs call: cheap).</summary>
    public const long SpaceCheckBytes = 64L << 20;

    public static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(500);

    private ImagesOptions Options => options.Value;

    public void EnsureWithinLimit(long? size)
    {
        if (size > Options.MaxUploadBytes) throw new ContentTooLargeException(size, Options.MaxUploadBytes);
    }

    /// <summary>Throws 507 unless <paramref name="needed"/> more bytes fit without eating into the reserve.</summary>
    public void EnsureSpace(long needed)
    {
        var available = new DriveInfo(storage.Incoming).AvailableFreeSpace;
        if (available - Options.ReserveFreeBytes < Math.Max(0, needed))
            throw new InsufficientStorageException(needed, available, Options.ReserveFreeBytes);
    }

    /// <param name="startAt">Where in the partial content this source continues: 0 starts over, else the stored length.</param>
    /// <param name="maxBytes">The most this source may add (a Content-Range's length); null: until it ends.</param>
    /// <param name="expectedTotal">The whole content's size when known, for the free space check.</param>
    /// <param name="hash">Compute SHA-256 of the streamed bytes (of the whole content only when starting at 0).</param>
    /// <param name="progress">Told the stored length at most every <see cref="ProgressInterval"/>.</param>
    public async Task<Received> ReceiveAsync(Guid imageId, Stream source, long startAt, long? maxBytes, long? expectedTotal, bool hash,
        Func<long, CancellationToken, Task> progress, CancellationToken ct)
    {
        // Two buffers: one fills from the source while the other is hashed and written.
        byte[][] buffers = [ArrayPool<byte>.Shared.Rent(BufferBytes), ArrayPool<byte>.Shared.Rent(BufferBytes)];
        using var hasher = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        var file = new FileStream(files.PartPath(imageId), new FileStreamOptions
        {
            Mode = startAt == 0 ? FileMode.Create : FileMode.Open,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            BufferSize = 0,
        });
        long added = 0; // stored
        var started = Stopwatch.GetTimestamp();
        Task? storing = null; // the previous buffer, hashed and written while the next one fills
        var storingBytes = 0;
        var clean = false;

        // The buffer being stored is written once this returns, so the other one may be refilled or stored next.
        async Task FinishStoringAsync()
        {
            if (storing is not { } pending) return;
            storing = null;
            await pending;
            added += storingBytes;
            storingBytes = 0;
        }

        try
        {
            if (file.Length != startAt) throw new InvalidOperationException($"partial content is {file.Length} bytes, expected {startAt}");
            file.Position = startAt;
            var nextSpaceCheck = SpaceCheckBytes;
            var sinceProgress = Stopwatch.StartNew();
            Exception? sourceFailure = null;
            var ended = false;
            var overflowed = false;
            for (var turn = 0; !ended && sourceFailure is null; turn++)
            {
                var buffer = buffers[turn % 2];
                var taken = added + storingBytes; // bytes taken from the source before this buffer
                // One more byte than allowed is asked for, to notice a source that sends too much.
                var want = maxBytes is { } max ? (int)Math.Min(BufferBytes, max - taken + 1) : BufferBytes;
                var filled = 0;
                while (filled < want)
                {
                    int read;
                    try
                    {
                        read = await source.ReadAsync(buffer.AsMemory(filled, want - filled), ct);
                    }
                    catch (Exception e) when (!ct.IsCancellationRequested)
                    {
                        sourceFailure = e;
                        break;
                    }
                    if (read == 0)
                    {
                        ended = true;
                        break;
                    }
                    filled += read;
                    // A slow source still shows progress: store what is there rather than wait for a full buffer.
                    if (sinceProgress.Elapsed >= ProgressInterval) break;
                }
                if (maxBytes is { } limit && taken + filled > limit)
                {
                    filled = (int)(limit - taken);
                    overflowed = ended = true;
                }
                if (startAt + taken + filled > Options.MaxUploadBytes) throw new ContentTooLargeException(null, Options.MaxUploadBytes);

                await FinishStoringAsync();
                storing = StoreAsync(file, hasher, buffer, filled, expectedTotal, startAt + added, ct);
                storingBytes = filled;

                if (added >= nextSpaceCheck)
                {
                    EnsureSpace(expectedTotal is { } total ? total - startAt - added : 0);
                    nextSpaceCheck += SpaceCheckBytes;
                }
                if (sinceProgress.Elapsed >= ProgressInterval)
                {
                    await progress(startAt + added, ct);
                    sinceProgress.Restart();
                }
            }
            await FinishStoringAsync();
            SettleLength(file, startAt + added);
            if (sourceFailure is not null)
            {
                file.Flush();
                clean = true;
                throw new ContentSourceException(sourceFailure);
            }
            // Durable before anyone counts on it: a resumed upload's offset, or arrived content renamed into place.
            file.Flush(flushToDisk: true);
            clean = true;
            return new Received(startAt + added, hasher is null ? null : Convert.ToHexStringLower(hasher.GetHashAndReset()), overflowed);
        }
        finally
        {
            if (storing is not null)
            {
                // Failing anyway: its bytes are not counted (the length is settled below without them), but the
                // buffers must not go back to the pool while it still reads one.
                try
                {
                    await storing;
                }
                catch (Exception e)
                {
                    logger.LogDebug(e, "Storing the last buffer of {Id}'s content failed too", imageId);
                }
            }
            if (!clean)
            {
                // Exactly what was received, even if a write broke off half-way: the stored length is the resume offset.
                try
                {
                    if (file.Length != startAt + added) file.SetLength(startAt + added);
                }
                catch (IOException e)
                {
                    logger.LogDebug(e, "Could not settle the length of {Id}'s partial content", imageId);
                }
            }
            await file.DisposeAsync();
            foreach (var buffer in buffers) ArrayPool<byte>.Shared.Return(buffer);
            ImageMeter.ReceivedBytes.Add(added);
            ImageMeter.ReceiveDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>Hashes and writes one buffer: both only read it, so they run side by side.</summary>
    private async Task StoreAsync(FileStream file, IncrementalHash? hasher, byte[] buffer, int length, long? expectedTotal, long position, CancellationToken ct)
    {
        var hashing = hasher is null || length == 0 ? null : Task.Run(() => hasher.AppendData(buffer, 0, length), CancellationToken.None);
        try
        {
            await WriteAsync(file, buffer.AsMemory(0, length), expectedTotal, position, ct);
        }
        finally
        {
            if (hashing is not null) await hashing;
        }
    }

    /// <summary>SHA-256 of the whole partial content, read from disk in one sequential pass (for uploads that were resumed).</summary>
    public async Task<string> HashPartAsync(Guid imageId, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            using var hasher = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using var file = new FileStream(files.PartPath(imageId), new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read,
                BufferSize = 0,
                Options = FileOptions.SequentialScan,
            });
            int read;
            while ((read = await file.ReadAsync(buffer.AsMemory(0, BufferBytes), ct)) > 0) hasher.AppendData(buffer, 0, read);
            return Convert.ToHexStringLower(hasher.GetHashAndReset());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes the bytes, skipping blocks of zeros (they become a hole, which reads as zeros).</summary>
    private async Task WriteAsync(FileStream file, ReadOnlyMemory<byte> bytes, long? expectedTotal, long position, CancellationToken ct)
    {
        try
        {
            var offset = 0;
            while (offset < bytes.Length)
            {
                var block = Math.Min(HoleBytes, bytes.Length - offset);
                if (!bytes.Span.Slice(offset, block).ContainsAnyExcept((byte)0))
                {
                    file.Seek(block, SeekOrigin.Current);
                    offset += block;
                    continue;
                }
                var run = block;
                while (offset + run < bytes.Length)
                {
                    var next = Math.Min(HoleBytes, bytes.Length - offset - run);
                    if (!bytes.Span.Slice(offset + run, next).ContainsAnyExcept((byte)0)) break;
                    run += next;
                }
                await file.WriteAsync(bytes.Slice(offset, run), ct);
                offset += run;
            }
        }
        catch (IOException e) when (e.HResult is 28 or 122)
        {
            // ENOSPC or EDQUOT: another writer took the space between two checks.
            var needed = expectedTotal is { } total ? total - position : bytes.Length;
            throw new InsufficientStorageException(needed, new DriveInfo(storage.Incoming).AvailableFreeSpace, Options.ReserveFreeBytes);
        }
    }

    /// <summary>A trailing hole was only skipped over; the length makes it part of the file.</summary>
    private static void SettleLength(FileStream file, long length)
    {
        if (file.Length < length) file.SetLength(length);
    }
}
