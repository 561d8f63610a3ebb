using System.ComponentModel;
using System.Diagnostics;

namespace KrautPortal.Tests.Support;

/// <summary>Runs a real command-line tool (oathtool, htpasswd, qemu-img, the test scripts).</summary>
public static class Tool
{
    /// <summary>Runs it and reports how it went.</summary>
    public static (int Status, string Stdout, string Stderr) Try(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"{file} is not installed ({e.Message}): run scripts/setup-host.sh --with-tests", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout.Result, stderr);
        }
    }

    /// <summary>Runs it, throws with its error output unless it succeeds, and returns what it printed.</summary>
    public static string Run(string file, params string[] args)
    {
        var (status, stdout, stderr) = Try(file, args);
        if (status != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({status}): {stderr}");
        return stdout.Trim();
    }

    /// <summary>A file a Debian package provides, or a failure that names the package instead of a bare "not found".</summary>
    public static string PackagedFile(string path, string package) =>
        File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: install {package} (scripts/setup-host.sh --with-tests does)");
}
