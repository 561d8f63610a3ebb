using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using KrautPortal.Benchmarks.Support;
using KrautPortal.Features.Seeding;
using KrautPortal.Hypervisor;

namespace KrautPortal.Benchmarks.CreateToRunning;

/// <summary>
/// The built portal as a child process with its own data directory, the test guest (or a blank image) as its seed
/// image, the VM trace file switched on and a god token for the benchmark's API calls. The minimal launching logic
/// of KrautPortal.Tests' PortalProcess, which the benchmark cannot reference.
/// </summary>
public sealed class PortalProcess : IAsyncDisposable
{
    public const string HostUri = "qemu:///system";

    private readonly StringBuilder _log = new();
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private Process? _process;

    /// <param name="guestDirectory">Where the test guest is; null seeds a blank 64 MiB image, enough for libvirt's test driver.</param>
    /// <param name="host">The libvirt host the portal uses.</param>
    /// <param name="settings">More configuration, passed as <c>--key=value</c>.</param>
    /// <param name="environment">Environment variables for the process (the .NET runtime's own settings).</param>
    public PortalProcess(string? guestDirectory, string host = HostUri, IReadOnlyDictionary<string, string>? settings = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        DataDirectory = Directory.CreateTempSubdirectory("kraut-bench-portal-").FullName;
        var seed = Directory.CreateDirectory(Path.Combine(DataDirectory, "seed")).FullName;
        if (guestDirectory is not null)
        {
            File.Copy(Path.Combine(guestDirectory, FirstRunSeeder.GuestImageFile), Path.Combine(seed, FirstRunSeeder.GuestImageFile));
            File.Copy(Path.Combine(guestDirectory, "kraut-guest.vmlinuz"), Path.Combine(seed, "kraut-guest.vmlinuz"));
        }
        Host = host;
        _settings = settings ?? new Dictionary<string, string>();
        _environment = environment ?? new Dictionary<string, string>();
        TraceFile = Path.Combine(DataDirectory, "vm-trace.jsonl");
        Port = FreePort();
    }

    public string Host { get; }

    /// <summary>Configured by its SHA-256 as an operator would; nothing in the API answers without credentials.</summary>
    public string GodToken { get; } = "kraut-bench-" + RandomNumberGenerator.GetHexString(32, lowercase: true);
    public string GodHeader => "Bearer " + GodToken;

    public string DataDirectory { get; }
    public string TraceFile { get; }
    public int Port { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");
    public string Log { get { lock (_log) return _log.ToString(); } }

    public string ConsoleFor(Guid vmId) => Path.Combine(DataDirectory, "consoles", vmId.ToString("D") + ".log");
    public string DiskFor(Guid vmId) => Path.Combine(DataDirectory, "disks", vmId.ToString("D") + ".qcow2");

    /// <summary>Starts the portal and waits until it answers HTTP.</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        var seedImage = Path.Combine(DataDirectory, "seed", FirstRunSeeder.GuestImageFile);
        if (!File.Exists(seedImage)) await Run.CheckedAsync("qemu-img", "create", "-q", "-f", "qcow2", seedImage, "64M");
        var dll = Path.Combine(AppContext.BaseDirectory, "KrautPortal.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                dll, "--urls", BaseAddress.ToString().TrimEnd('/'),
                "--Kraut:DataDirectory=" + DataDirectory,
                "--Kraut:Hosts:0=" + Host,
                "--Kraut:Telemetry:TraceFile=" + TraceFile,
                "--Auth:GodTokens:0:Name=bench",
                "--Auth:GodTokens:0:Sha256=" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(GodToken))),
            },
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in _settings) start.ArgumentList.Add($"--{key}={value}");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (name, value) in _environment) start.Environment[name] = value;
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start the portal");
        _process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var client = CreateClient();
        client.Timeout = TimeSpan.FromSeconds(5);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the portal exited with {_process.ExitCode}:\n{Log}");
            try
            {
                if ((await client.GetAsync("api/v1/hosts")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            if (deadline.Elapsed > timeout) throw new TimeoutException($"the portal did not answer within {timeout}:\n{Log}");
            await Task.Delay(100);
        }
    }

    /// <summary>A client that acts as an administrator through the god token.</summary>
    public HttpClient CreateClient()
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", GodHeader);
        return client;
    }

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
        // The test driver's state lives in the portal process and ended with it.
        if (instance is not null && !Host.StartsWith("test:", StringComparison.Ordinal))
        {
            using var connection = LibvirtConnection.Open(Host);
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
