using System.ComponentModel;
using System.Diagnostics;

namespace KrautPortal.TestSupport;

/// <summary>What a tool run to its end printed, and how it exited.</summary>
public sealed record ToolOutput(int ExitCode, string StdOut, string StdErr);

/// <summary>Runs a real command-line tool (qemu-img, virsh, htpasswd, oathtool, the repository's scripts) to its end.</summary>
public static class Tool
{
    /// <summary>Runs it and reports how it went.</summary>
    public static ToolOutput Try(string file, params IEnumerable<string> args)
    {
        using var process = Start(file, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return new ToolOutput(process.ExitCode, stdout.Result, stderr);
    }

    /// <summary>Runs it, throws with its error output unless it succeeds, and returns what it printed (trimmed).</summary>
    public static string Run(string file, params IEnumerable<string> args) => Checked(file, args, Try(file, args));

    public static async Task<ToolOutput> TryAsync(string file, IEnumerable<string> args, CancellationToken ct = default)
    {
        using var process = Start(file, args);
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return new ToolOutput(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Like <see cref="Run"/>, without blocking a thread while the tool works.</summary>
    public static async Task<string> RunAsync(string file, params IEnumerable<string> args) => Checked(file, args, await TryAsync(file, args));

    /// <summary>A file a Debian package provides, or a failure that names the package instead of a bare "not found".</summary>
    public static string PackagedFile(string path, string package) =>
        File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: install {package} (scripts/setup-host.sh --with-tests does)");

    private static Process Start(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        try
        {
            return Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"{file} is not installed ({e.Message}): run scripts/setup-host.sh --with-tests", e);
        }
    }

    private static string Checked(string file, IEnumerable<string> args, ToolOutput output) =>
        output.ExitCode == 0
            ? output.StdOut.Trim()
            : throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({output.ExitCode}): {output.StdErr.Trim()}");
}
