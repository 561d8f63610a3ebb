using System.Diagnostics;
using KrautPortal.Tests.Support;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Cli;

/// <summary>What one run of kraut did.</summary>
public sealed record CliRun(int ExitCode, string Out, string Err)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Err}";
}

/// <summary>
/// A real portal on a real port (libvirt's test driver: VMs "run" without booting), and the built <c>kraut</c>
/// executable run against it as a child process, its configuration in a temporary XDG_CONFIG_HOME with one remote
/// (<c>test</c>, the god token) added through <c>kraut remote add</c> itself.
/// </summary>
public class CliPortal : IAsyncLifetime
{
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    public CliPortal()
        : this(new KrautAppFactory(KrautAppFactory.TestDriver, "blank"))
    {
    }

    /// <summary>For the CLI against another portal: real disks on qemu:///system, or more hosts.</summary>
    protected CliPortal(KrautAppFactory app) => App = app;

    public KrautAppFactory App { get; }

    public string ConfigHome { get; } = Directory.CreateTempSubdirectory("kraut-cli-").FullName;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>KrautCli's build output beside this test assembly's: same configuration (Debug/Release), same framework.</summary>
    public static string Executable
    {
        get
        {
            var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            var path = Path.Combine(RepoPaths.Root, "KrautCli", "bin", framework.Parent!.Name, framework.Name, "kraut");
            return File.Exists(path)
                ? path
                : throw new InvalidOperationException($"The kraut executable is missing at {path}: build the solution (dotnet build KrautCompute.sln) first.");
        }
    }

    public async Task InitializeAsync()
    {
        _ = Executable;
        App.UseKestrel(0);
        App.StartServer();
        BaseAddress = new Uri(App.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        var added = await RunAsync(["remote", "add", "test", BaseAddress.ToString(), "--token", TestCredentials.GodToken]);
        if (added.ExitCode != 0) throw new InvalidOperationException("kraut remote add failed: " + added);
    }

    /// <summary>Runs kraut with <paramref name="args"/>; standard input is empty (a prompt reads no answer).</summary>
    public async Task<CliRun> RunAsync(IEnumerable<string> args, IDictionary<string, string>? environment = null, string? configHome = null)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var name in new[] { "KRAUT_REMOTE", "KRAUT_TOKEN", "KRAUT_PAGE_SIZE", "EDITOR", "VISUAL", "COLUMNS" }) start.Environment.Remove(name);
        start.Environment["XDG_CONFIG_HOME"] = configHome ?? ConfigHome;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(RunTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kraut {string.Join(' ', args)} ran longer than {RunTimeout}: {await output}{await error}");
        }
        return new CliRun(process.ExitCode, await output, await error);
    }

    public Task<CliRun> RunAsync(params string[] args) => RunAsync((IEnumerable<string>)args);

    /// <summary>Runs kraut and fails the test, showing what it printed, unless it exits with <paramref name="expected"/>.</summary>
    public async Task<CliRun> ExpectAsync(int expected, params string[] args)
    {
        var run = await RunAsync(args);
        Assert.True(run.ExitCode == expected, $"kraut {string.Join(' ', args)}: expected exit {expected}, got {run}");
        return run;
    }

    public virtual async Task DisposeAsync()
    {
        await App.DisposeAsync();
        Directory.Delete(ConfigHome, recursive: true);
    }
}
