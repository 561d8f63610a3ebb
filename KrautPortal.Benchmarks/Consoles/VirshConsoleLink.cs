using System.Diagnostics;

namespace KrautPortal.Benchmarks.Consoles;

/// <summary>
/// <c>virsh -c qemu:///system console DOMAIN --force</c> in a pseudo-terminal of its own (its controlling terminal, as
/// in a person's terminal window), read by a dedicated thread. Closed the way a person leaves it: Ctrl-].
/// </summary>
public sealed class VirshConsoleLink : IConsoleLink
{
    private const byte EscapeKey = 0x1d; // Ctrl-]
    private readonly Pty _pty;
    private readonly Process _virsh;
    private readonly Thread _reader;

    private VirshConsoleLink(Pty pty, Process virsh)
    {
        _pty = pty;
        _virsh = virsh;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "virsh console reader" };
        _reader.Start();
    }

    public string Side => "virsh console";

    public ConsoleOutput Output { get; } = new();

    /// <summary>Starts virsh and waits until it says it is connected.</summary>
    public static async Task<VirshConsoleLink> OpenAsync(string domain)
    {
        var pty = new Pty();
        // setsid: a session of its own, so the terminal it opens becomes its controlling terminal.
        var start = new ProcessStartInfo("setsid")
        {
            ArgumentList =
            {
                "sh", "-c", "exec virsh -c \"$1\" console \"$2\" --force <\"$0\" >\"$0\" 2>&1",
                pty.SlavePath, TestHosts.System, domain,
            },
        };
        Process virsh;
        try
        {
            virsh = Process.Start(start) ?? throw new InvalidOperationException("could not start virsh");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            pty.Dispose();
            throw new InvalidOperationException($"setsid (util-linux) is not installed: {e.Message}", e);
        }
        var link = new VirshConsoleLink(pty, virsh);
        try
        {
            await link.Output.WaitForAsync("Escape character is", 0, TimeSpan.FromSeconds(30));
            // virsh prints the banner, then makes the terminal raw with TCSAFLUSH: keys written before that are lost.
            await Eventually.WaitUntilAsync(() => Task.FromResult(pty.IsRaw()), TimeSpan.FromSeconds(10), "virsh making its terminal raw");
            pty.ReleaseSlave();
        }
        catch
        {
            await link.DisposeAsync();
            throw;
        }
        return link;
    }

    public Task SendAsync(ReadOnlyMemory<byte> keys)
    {
        _pty.Write(keys.Span);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _pty.ReleaseSlave();
        if (!_virsh.HasExited)
        {
            try
            {
                _pty.Write([EscapeKey]);
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // the terminal side is already gone
            }
            try
            {
                await _virsh.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                _virsh.Kill(entireProcessTree: true);
                await _virsh.WaitForExitAsync();
            }
        }
        // With virsh gone nothing holds the terminal side: the reader's read returns EIO and it ends.
        _reader.Join(TimeSpan.FromSeconds(10));
        _pty.Dispose();
        _virsh.Dispose();
    }

    private void ReadLoop()
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var n = _pty.Read(buffer);
            var now = Stopwatch.GetTimestamp();
            if (n <= 0) break;
            Output.Append(buffer.AsSpan(0, n), now);
        }
        Output.End();
    }
}
