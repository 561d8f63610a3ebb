using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace KrautPortal.Hypervisor;

/// <summary>
/// The one way Kraut runs an external tool: an argument list (no shell, no quoting bugs), English messages, the
/// <see cref="ToolLimits"/> (time, CPU, address space, output kept), and cancellation that kills the process.
/// </summary>
public static class ProcessRunner
{
    /// <param name="TimedOut">Killed because it outlived <see cref="ToolLimits.WallClock"/>.</param>
    /// <param name="OutputTruncated">It printed more than <see cref="ToolLimits.OutputChars"/> on stdout or stderr; only the start is kept.</param>
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError, bool TimedOut = false, bool OutputTruncated = false)
    {
        /// <summary>The signal that ended the process, if one did (.NET reports those as 128 + signal).</summary>
        public int? Signal => ExitCode > 128 && ExitCode < 128 + 65 ? ExitCode - 128 : null;
    }

    public static Task<Result> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken ct) =>
        RunAsync(fileName, arguments, ToolLimits.None, null, ct);

    /// <summary>
    /// Runs <paramref name="fileName"/> under <paramref name="limits"/>. <paramref name="onOutput"/> sees standard output
    /// piece by piece as it arrives, split at line feeds and carriage returns (progress lines end in \r), all of it,
    /// also past the kept limit (a monitor that runs for days). A wall-clock timeout is not an exception: the result
    /// says <see cref="Result.TimedOut"/>. Cancellation kills the process and throws.
    /// </summary>
    /// <exception cref="System.ComponentModel.Win32Exception">The tool is not installed.</exception>
    public static async Task<Result> RunAsync(string fileName, IEnumerable<string> arguments, ToolLimits limits, Action<string>? onOutput, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(limits);
        using var process = Process.Start(StartInfo(fileName, arguments, limits)) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var stdout = ReadAsync(process.StandardOutput, limits.OutputChars, onOutput);
        var stderr = ReadAsync(process.StandardError, limits.OutputChars, null);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (limits.WallClock is { } wall) timeout.CancelAfter(wall);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Ours to stop: the process started above (and what it started), by its handle.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            if (ct.IsCancellationRequested) throw;
            timedOut = true;
        }

        var (output, outputCut) = await stdout;
        var (error, errorCut) = await stderr;
        return new Result(process.ExitCode, output, error, timedOut, outputCut || errorCut);
    }

    private static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, ToolLimits limits)
    {
        var psi = new ProcessStartInfo(limits.CpuSeconds is null && limits.AddressSpaceBytes is null ? fileName : "prlimit")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        if (psi.FileName == "prlimit")
        {
            // prlimit (util-linux) sets the limits and then execs the tool: same process, so killing it kills the tool.
            if (limits.AddressSpaceBytes is { } bytes) psi.ArgumentList.Add("--as=" + bytes.ToString(CultureInfo.InvariantCulture));
            if (limits.CpuSeconds is { } seconds) psi.ArgumentList.Add("--cpu=" + seconds.ToString(CultureInfo.InvariantCulture));
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(fileName);
        }

        foreach (var a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["LC_ALL"] = "C"; // messages in stderr stay English and parseable

        // glibc reserves 64 MiB of address space per malloc arena; with an address-space limit that would count
        // against qemu-img's worker threads rather than against anything the input makes it allocate.
        if (limits.AddressSpaceBytes is not null) psi.Environment["MALLOC_ARENA_MAX"] = "2";
        return psi;
    }

    /// <summary>A line longer than this reaches the output callback cut short, so a tool without line ends cannot fill memory.</summary>
    private const int MaxPieceChars = 64 << 10;

    /// <summary>Reads to the end (a tool blocked on a full pipe would never exit), keeping at most <paramref name="keep"/> characters.</summary>
    private static async Task<(string Text, bool Truncated)> ReadAsync(StreamReader reader, int keep, Action<string>? onOutput)
    {
        var kept = new StringBuilder();
        var truncated = false;
        var piece = new StringBuilder();
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer, CancellationToken.None)) > 0)
        {
            var room = Math.Min(read, keep - kept.Length);
            kept.Append(buffer, 0, room);
            truncated |= room < read;
            if (onOutput is null) continue;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] is '\r' or '\n')
                {
                    if (piece.Length > 0) onOutput(piece.ToString());
                    piece.Clear();
                }
                else if (piece.Length < MaxPieceChars)
                {
                    piece.Append(buffer[i]);
                }
            }
        }

        if (piece.Length > 0) onOutput?.Invoke(piece.ToString());
        return (kept.ToString(), truncated);
    }
}
