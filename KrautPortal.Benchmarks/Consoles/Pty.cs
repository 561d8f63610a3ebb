using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;

namespace KrautPortal.Benchmarks.Consoles;

/// <summary>
/// A pseudo-terminal master, as a terminal emulator holds one: what a person types into <c>virsh console</c> goes in
/// here, what virsh prints comes out. virsh needs a terminal (it puts it in raw mode); a pipe would not do.
/// </summary>
public sealed partial class Pty : IDisposable
{
    private const int ReadWrite = 2;
    private const int NoControllingTty = 0x100;
    private const int Interrupted = 4;
    private int _fd;
    private int _slave = -1;

    public Pty()
    {
        _fd = OpenMaster(ReadWrite | NoControllingTty);
        if (_fd < 0) throw new Win32Exception(Marshal.GetLastPInvokeError(), "posix_openpt");
        var name = new byte[128];
        if (GrantSlave(_fd) != 0 || UnlockSlave(_fd) != 0 || SlaveName(_fd, name, name.Length) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            _ = CloseFd(_fd);
            throw new Win32Exception(error, "grantpt/unlockpt/ptsname_r");
        }
        SlavePath = Encoding.ASCII.GetString(name, 0, Array.IndexOf(name, (byte)0));
        // Held open until the program has opened it too: a master whose terminal side nobody holds reads as closed (EIO).
        _slave = OpenPath(SlavePath, ReadWrite | NoControllingTty);
        if (_slave < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            _ = CloseFd(_fd);
            throw new Win32Exception(error, "open " + SlavePath);
        }
    }

    /// <summary>
    /// True once the program has switched the terminal out of canonical mode with echo (virsh console makes it raw after
    /// printing its banner, discarding input typed before: keys must wait for this).
    /// </summary>
    public bool IsRaw()
    {
        // struct termios: c_iflag, c_oflag, c_cflag, c_lflag (4 bytes each), then line discipline, c_cc and speeds.
        var termios = new byte[64];
        if (_slave < 0 || GetAttributes(_slave, termios) != 0) throw new Win32Exception(Marshal.GetLastPInvokeError(), "tcgetattr");
        var localFlags = BitConverter.ToUInt32(termios, 12);
        const uint Canonical = 0x2, Echo = 0x8;
        return (localFlags & (Canonical | Echo)) == 0;
    }

    /// <summary>Lets go of the terminal side once the program holds it, so that its exit ends <see cref="Read"/>.</summary>
    public void ReleaseSlave()
    {
        if (_slave < 0) return;
        _ = CloseFd(_slave);
        _slave = -1;
    }

    /// <summary>/dev/pts/N: the terminal the program under test opens as its stdin, stdout and stderr.</summary>
    public string SlavePath { get; }

    /// <summary>Blocks until the program wrote something; 0 once every holder of the terminal side has closed it.</summary>
    public int Read(Span<byte> buffer)
    {
        while (true)
        {
            var n = ReadFd(_fd, ref MemoryMarshal.GetReference(buffer), buffer.Length);
            if (n >= 0) return (int)n;
            var error = Marshal.GetLastPInvokeError();
            if (error == Interrupted) continue;
            return 0; // EIO: the terminal side is closed
        }
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var n = WriteFd(_fd, ref MemoryMarshal.GetReference(data), data.Length);
            if (n < 0)
            {
                var error = Marshal.GetLastPInvokeError();
                if (error == Interrupted) continue;
                throw new Win32Exception(error, "write to the pty");
            }
            data = data[(int)n..];
        }
    }

    public void Dispose()
    {
        ReleaseSlave();
        if (_fd < 0) return;
        _ = CloseFd(_fd);
        _fd = -1;
    }

    [LibraryImport("libc.so.6", EntryPoint = "posix_openpt", SetLastError = true)]
    private static partial int OpenMaster(int flags);

    [LibraryImport("libc.so.6", EntryPoint = "grantpt", SetLastError = true)]
    private static partial int GrantSlave(int fd);

    [LibraryImport("libc.so.6", EntryPoint = "unlockpt", SetLastError = true)]
    private static partial int UnlockSlave(int fd);

    [LibraryImport("libc.so.6", EntryPoint = "ptsname_r", SetLastError = true)]
    private static partial int SlaveName(int fd, [Out] byte[] buffer, nint length);

    [LibraryImport("libc.so.6", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenPath(string path, int flags);

    [LibraryImport("libc.so.6", EntryPoint = "tcgetattr", SetLastError = true)]
    private static partial int GetAttributes(int fd, [Out] byte[] termios);

    [LibraryImport("libc.so.6", EntryPoint = "read", SetLastError = true)]
    private static partial nint ReadFd(int fd, ref byte buffer, nint count);

    [LibraryImport("libc.so.6", EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteFd(int fd, ref byte buffer, nint count);

    [LibraryImport("libc.so.6", EntryPoint = "close")]
    private static partial int CloseFd(int fd);
}
