using System.Runtime.InteropServices;

namespace KrautCli.Vms;

/// <summary>
/// The terminal in raw mode (every key, Ctrl-C and Ctrl-] included, reaches this process at once; no local echo) until
/// disposed, which puts the settings from before back exactly, also after an error.
/// </summary>
/// <remarks>
/// Set with tcsetattr in this process, not by running <c>stty</c>: .NET puts back the terminal settings it knows each
/// time a child process ends (a child may have changed them), so a raw mode set by a child stty was undone at once and
/// Ctrl-] waited in the line buffer for an Enter that went to the guest.
/// </remarks>
public sealed partial class TerminalMode : IDisposable
{
    private const int StandardInput = 0;
    private const int SetNow = 0; // TCSANOW

    // struct termios is 60 bytes on Linux (x86_64 and aarch64); room to spare for the C library's view of it.
    private const int TermiosBytes = 256;

    private readonly byte[] _saved;

    private TerminalMode(byte[] saved) => _saved = saved;

    /// <summary>Raw mode when standard input is a terminal; null when it is a pipe or file (bytes pass as they are).</summary>
    public static TerminalMode? RawIfTerminal()
    {
        if (Console.IsInputRedirected) return null;
        var saved = new byte[TermiosBytes];
        if (tcgetattr(StandardInput, saved) != 0) return null;
        var raw = (byte[])saved.Clone();
        cfmakeraw(raw);
        if (tcsetattr(StandardInput, SetNow, raw) != 0)
            throw new InvalidOperationException($"Cannot put the terminal into raw mode (errno {Marshal.GetLastPInvokeError()}).");
        return new TerminalMode(saved);
    }

    public void Dispose() => _ = tcsetattr(StandardInput, SetNow, _saved);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tcgetattr(int fd, [Out] byte[] termios);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tcsetattr(int fd, int optionalActions, byte[] termios);

    [LibraryImport("libc")]
    private static partial void cfmakeraw(byte[] termios);
}
