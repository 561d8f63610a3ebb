using System.Diagnostics;

namespace KrautPortal.Tests.Support;

/// <summary>Runs a real command-line tool (oathtool, htpasswd, virsh) and returns what it printed.</summary>
public static class Tool
{
    public static string Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr}");
        return stdout.Result.Trim();
    }
}
