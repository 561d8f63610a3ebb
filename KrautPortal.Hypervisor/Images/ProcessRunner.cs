using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace KrautPortal.Hypervisor;

/// <summary>Runs a tool with an argument list (no shell, no quoting bugs) and collects its output.</summary>
internal static class ProcessRunner
{
    /// <param name="TimedOut">Killed because it outlived <see cref="ToolLimits.WallClock"/>.</param>
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError, bool TimedOut = false)
    {
        /// <summary>The signal that ended the process, if one did (.NET reports those as 128 + signal).</summary>
        public int? Signal => ExitCode > 128 && ExitCode < 128 + 65 ? ExitCode - 128 : null;
    }

    public static Task<Result> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken ct) =>
        RunAsync(fileName, arguments, ToolLimits.None, null, ct);

    /// <summary>
    /// Runs <paramref name="fileName"/> under <paramref name="limits"/>. <paramref name="onOutput"/> sees standard output
    /// piece by piece as it arrives, split at line feeds and carriage returns (progress lines end in \r).
    /// A wall-clock timeout is not an exception: the result says <see cref="Result.TimedOut"/>. Cancellation kills the
    /// process and throws.
    /// </summary>
    public static async Task<Result> RunAsync(string fileName, IEnumerable<string> arguments, ToolLimits limits, Action<string>? onOutput, CancellationToken ct)
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

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var stdout = ReadAsync(process.StandardOutput, onOutput);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (limits.WallClock is { } wall) timeout.CancelAfter(wall);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (ct.IsCancellationRequested) throw;
            timedOut = true;
            await process.WaitForExitAsync(CancellationToken.None);
        }

        return new Result(process.ExitCode, await stdout, await stderr, timedOut);
    }

    private static async Task<string> ReadAsync(StreamReader reader, Action<string>? onOutput)
    {
        if (onOutput is null) return await reader.ReadToEndAsync(CancellationToken.None);
        var all = new StringBuilder();
        var piece = new StringBuilder();
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer, CancellationToken.None)) > 0)
        {
            all.Append(buffer, 0, read);
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] is '\r' or '\n')
                {
                    if (piece.Length > 0) onOutput(piece.ToString());
                    piece.Clear();
                }
                else
                {
                    piece.Append(buffer[i]);
                }
            }
        }

        if (piece.Length > 0) onOutput(piece.ToString());
        return all.ToString();
    }
}
