using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using KrautPortal.Features.Seeding;
using KrautPortal.Hypervisor;

namespace KrautPortal.Benchmarks.CreateToRunning;

/// <summary>
/// The built portal as a child process with its own data directory, the test guest as its seed image and the
/// VM trace file switched on. The minimal launching logic of KrautPortal.Tests' PortalProcess, which the
/// benchmark cannot reference.
/// </summary>
public sealed class PortalProcess : IAsyncDisposable
{
    public const string HostUri = "qemu:///system";

    private readonly StringBuilder _log = new();
    private readonly string[] _extraArgs;
    private Process? _process;

    /// <param name="extraArgs">More command-line settings, such as a god token for a benchmark's client.</param>
    public PortalProcess(string guestDirectory, params string[] extraArgs)
    {
        _extraArgs = extraArgs;
        DataDirectory = Directory.CreateTempSubdirectory("kraut-bench-portal-").FullName;
        var seed = Directory.CreateDirectory(Path.Combine(DataDirectory, "seed")).FullName;
        File.Copy(Path.Combine(guestDirectory, FirstRunSeeder.GuestImageFile), Path.Combine(seed, FirstRunSeeder.GuestImageFile));
        File.Copy(Path.Combine(guestDirectory, "kraut-guest.vmlinuz"), Path.Combine(seed, "kraut-guest.vmlinuz"));
        TraceFile = Path.Combine(DataDirectory, "vm-trace.jsonl");
        Port = FreePort();
    }

    public string DataDirectory { get; }
    public string TraceFile { get; }
    public int Port { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>The portal's own process (dotnet runs the app in the process it starts).</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("the portal is not running");

    public string ConsoleFor(Guid vmId) => Path.Combine(DataDirectory, "consoles", vmId.ToString("D") + ".log");
    public string DiskFor(Guid vmId) => Path.Combine(DataDirectory, "disks", vmId.ToString("D") + ".qcow2");

    /// <summary>Starts the portal and waits until it answers HTTP.</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "KrautPortal.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                dll, "--urls", BaseAddress.ToString().TrimEnd('/'),
                "--Kraut:DataDirectory=" + DataDirectory,
                "--Kraut:Hosts:0=" + HostUri,
                "--Kraut:Telemetry:TraceFile=" + TraceFile,
            },
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in _extraArgs) start.ArgumentList.Add(arg);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start the portal");
        _process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the portal exited with {_process.ExitCode}:\n{Log}");
            try
            {
                // Any answer will do: without credentials the API answers 401, which still means it is up.
                if ((await client.GetAsync("api/v1/hosts")).StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            if (deadline.Elapsed > timeout) throw new TimeoutException($"the portal did not answer within {timeout}:\n{Log}");
            await Task.Delay(100);
        }
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>This instance's id, read from its database (the same value it writes into libvirt metadata).</summary>
    public string? InstanceId()
    {
        var db = Path.Combine(DataDirectory, "kraut.db");
        if (!File.Exists(db)) return null;
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT Value FROM settings WHERE Key = 'instance-id'";
        return command.ExecuteScalar() as string;
    }

    /// <summary>
    /// Kills the portal, then removes whatever its instance still has in libvirt and its data directory.
    /// Returns what had to be removed: after a clean run (every VM and network deleted through the API) nothing.
    /// </summary>
    public List<string> StopAndRemoveLeftovers()
    {
        var instance = InstanceId();
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
        _process?.WaitForExit();
        _process?.Dispose();
        _process = null;

        var removed = new List<string>();
        if (instance is not null)
        {
            using var connection = LibvirtConnection.Open(HostUri);
            foreach (var domain in connection.ListAllDomains())
            {
                using (domain)
                {
                    if (domain.GetKrautMetadata()?.InstanceId != instance) continue;
                    removed.Add("domain " + domain.Name);
                    if (domain.IsActive) domain.Destroy();
                    domain.Undefine();
                }
            }
            foreach (var network in connection.ListAllNetworks())
            {
                using (network)
                {
                    if (!network.Name.StartsWith($"kraut-{instance[..8]}-", StringComparison.Ordinal)) continue;
                    removed.Add("network " + network.Name);
                    if (network.IsActive) network.Destroy();
                    if (network.IsPersistent) network.Undefine();
                }
            }
        }
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // a file QEMU held a moment longer; a temp directory
        }
        return removed;
    }

    public ValueTask DisposeAsync()
    {
        if (_process is not null) StopAndRemoveLeftovers();
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
