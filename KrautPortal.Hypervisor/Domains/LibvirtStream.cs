using System.Diagnostics.CodeAnalysis;
using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Hypervisor;

/// <summary>A blocking libvirt data stream, here a domain's console (<see cref="LibvirtDomain.OpenConsole"/>).</summary>
/// <remarks>
/// One thread reads (<see cref="Receive"/> blocks until bytes arrive), any thread may send. To stop a reader,
/// call <see cref="Dispose"/> (or <see cref="Abort"/>) from another thread: it aborts the stream, which wakes the
/// blocked virStreamRecv, and that Receive returns 0; virStreamFree itself waits (SafeHandle reference count)
/// until the Receive has left libvirt, so nothing is freed under it. The stream holds its own reference on the
/// connection it was opened on, which therefore stays open until the stream is disposed.
/// </remarks>
[SuppressMessage("Naming", "CA1711", Justification = "libvirt's own name (virStream); it is not a System.IO.Stream")]
public sealed class LibvirtStream : IDisposable
{
    // A console is a trickle of keystrokes; bigger pastes go out in pieces no bigger than one RPC message.
    private const int MaxSendChunk = 64 * 1024;

    private readonly StreamHandle _handle;
    private int _ended;
    private int _finished;
    private int _aborted;
    private int _disposed;

    internal LibvirtStream(StreamHandle handle) => _handle = handle;

    /// <summary>For calls that attach the stream to a transfer (virStorageVolUpload).</summary>
    internal StreamHandle Handle => _handle;

    /// <summary>True once this side finished, aborted or disposed the stream.</summary>
    public bool IsEnded => Volatile.Read(ref _ended) != 0;

    /// <summary>Blocks until data arrives; returns the byte count, or 0 at the end of the stream (also when this
    /// side aborted or disposed it meanwhile).</summary>
    /// <exception cref="LibvirtException">The stream failed, e.g. another client took the console over with force.</exception>
    public unsafe int Receive(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            throw new ArgumentException("A receive buffer needs room for at least one byte.", nameof(buffer));
        }

        int read;
        try
        {
            fixed (byte* data = buffer)
            {
                read = LibvirtNative.virStreamRecv(_handle, data, (nuint)buffer.Length);
            }
        }
        catch (ObjectDisposedException) when (IsEnded)
        {
            return 0;
        }

        if (read >= 0)
        {
            return read;
        }

        var error = LibvirtError.Capture("virStreamRecv");
        return IsEnded ? 0 : throw error;
    }

    /// <summary>Sends all of <paramref name="data"/>, blocking while libvirt's queue is full.</summary>
    public unsafe void Send(ReadOnlySpan<byte> data)
    {
        fixed (byte* start = data)
        {
            var sent = 0;
            while (sent < data.Length)
            {
                var chunk = Math.Min(data.Length - sent, MaxSendChunk);
                sent += LibvirtError.Check(LibvirtNative.virStreamSend(_handle, start + sent, (nuint)chunk), "virStreamSend");
            }
        }
    }

    /// <summary>Ends the stream in an orderly way: the other side sees end of stream and the console is free again.</summary>
    public void Finish()
    {
        Volatile.Write(ref _ended, 1);
        LibvirtError.Check(LibvirtNative.virStreamFinish(_handle), "virStreamFinish");
        Volatile.Write(ref _finished, 1);
    }

    /// <summary>Ends the stream at once, waking a thread blocked in <see cref="Receive"/>. Idempotent; never throws
    /// for a stream that already ended (the daemon may be gone or have closed it first, which ends it just as well).</summary>
    public void Abort()
    {
        Volatile.Write(ref _ended, 1);
        if (Interlocked.Exchange(ref _aborted, 1) != 0 || Volatile.Read(ref _finished) != 0)
        {
            return;
        }

        try
        {
            if (LibvirtNative.virStreamAbort(_handle) < 0)
            {
                // Only to clear this thread's libvirt error: an abort that fails has nothing left to stop.
                _ = LibvirtError.Capture("virStreamAbort");
            }
        }
        catch (ObjectDisposedException)
        {
            // Disposed concurrently: the stream is gone, which is what Abort wanted.
        }
    }

    /// <summary>Aborts the stream if it is still open, then frees it (once no call is inside libvirt any more).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Abort();
        _handle.Dispose();
    }
}
