using System.Diagnostics;

namespace KrautPortal.Benchmarks.Support;

/// <summary>Runs a command line tool to the end, the way a person at a shell would.</summary>
public static class Run
{
    public sealed record Output(int ExitCode, string StdOut, string StdErr);

    public static async Task<Output> ToolAsync(string file, IEnumerable<string> args, CancellationToken ct = default)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return new Output(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Like <see cref="ToolAsync"/>, but a non-zero exit is an error.</summary>
    public static async Task<string> CheckedAsync(string file, params string[] args)
    {
        var output = await ToolAsync(file, args);
        if (output.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {output.ExitCode}: {output.StdErr.Trim()}");
        return output.StdOut;
    }
}
