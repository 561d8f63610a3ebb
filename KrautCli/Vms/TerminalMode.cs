using System.Diagnostics;

namespace KrautCli.Vms;

/// <summary>
/// The terminal in raw mode (every key, Ctrl-C included, goes to the guest; no local echo) until disposed, through
/// stty on the terminal itself so the settings before are put back exactly, also after an error.
/// </summary>
public sealed class TerminalMode : IDisposable
{
    private readonly string _saved;

    private TerminalMode(string saved) => _saved = saved;

    /// <summary>Raw mode when standard input is a terminal; null when it is a pipe or file (bytes pass as they are).</summary>
    public static TerminalMode? RawIfTerminal()
    {
        if (Console.IsInputRedirected) return null;
        var saved = Stty("-g").Trim();
        Stty("raw", "-echo");
        return new TerminalMode(saved);
    }

    public void Dispose() => Stty(_saved);

    private static string Stty(params string[] args)
    {
        // stty acts on its standard input: it must be our terminal, so it is inherited, not redirected.
        var start = new ProcessStartInfo("stty") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start stty");
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }
}
