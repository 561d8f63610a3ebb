using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using KrautPortal.Features.Auth;

namespace KrautPortal.TestSupport;

/// <summary>
/// The built portal (KrautPortal.dll next to the caller's binary) as a real separate process with its own data directory,
/// for the browser tests, for killing it mid-work, and for the benchmarks. Keeps its data directory across restarts;
/// removes it, and whatever its instance left in libvirt, on dispose.
/// </summary>
public sealed class PortalProcess : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly StringBuilder _log = new();
    private Process? _process;
    private bool _removed;

    public PortalProcess(string hostUri = TestHosts.System, bool seedGuest = true)
        : this(hostUri, seedGuest ? SeedImages.Guest : null)
    {
    }

    /// <param name="hostUri">The libvirt host the portal uses (<see cref="TestHosts"/>).</param>
    /// <param name="seedImage">The image its first run registers: <see cref="SeedImages.Guest"/>, <see cref="SeedImages.Blank"/> or null.</param>
    /// <param name="settings">More configuration, e.g. <c>Auth:Htpasswd:File</c>, passed on the command line.</param>
    /// <param name="sharedDataDirectory">
    /// A data directory several replicas share (as on an NFS mount): seeded by the caller, kept on dispose. Null: one of its own.
    /// </param>
    public PortalProcess(string hostUri, string? seedImage, IReadOnlyDictionary<string, string?>? settings = null, string? sharedDataDirectory = null)
    {
        Host = hostUri;
        _settings = settings ?? new Dictionary<string, string?>();
        _sharesDataDirectory = sharedDataDirectory is not null;
        DataDirectory = sharedDataDirectory ?? Directory.CreateTempSubdirectory("kraut-portal-").FullName;
        if (!_sharesDataDirectory) SeedImages.Put(DataDirectory, seedImage);
        Port = FreePort();
    }

    private readonly bool _sharesDataDirectory;

    public string Host { get; }

    /// <summary>
    /// ASP.NET Core's environment. Development (the default) is what makes built, unpublished output serve MudBlazor's and
    /// Blazor's CSS/JS (through the static web assets manifest; in Production they come back as empty 200s and no page is
    /// interactive). Benchmarks measure Production.
    /// </summary>
    public string AspNetEnvironment { get; init; } = "Development";

    /// <summary>Environment variables for the process (e.g. the .NET runtime's own settings).</summary>
    public IReadOnlyDictionary<string, string> EnvironmentVariables { get; init; } = new Dictionary<string, string>();

    /// <summary>Switches on the portal's VM trace (<c>Kraut:Telemetry:TraceFile</c>), written to <see cref="TraceFile"/>.</summary>
    public bool Trace { get; init; }

    public string TraceFile => Path.Combine(DataDirectory, "vm-trace.jsonl");

    /// <summary>The god token's name: the token acts as <see cref="GodActor"/>.</summary>
    public string GodTokenName { get; init; } = "tests";

    public string GodActor => "god:" + GodTokenName;

    /// <summary>New for every portal, configured by its SHA-256 as an operator would.</summary>
    public string GodToken { get; } = "kraut-portal-" + RandomNumberGenerator.GetHexString(32, lowercase: true);

    public string GodHeader => "Bearer " + GodToken;

    public string DataDirectory { get; }
    public int Port { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    /// <summary>The password Kraut gave the first-run administrator (see InitialAdmin).</summary>
    public string AdminPassword => File.ReadAllText(Path.Combine(DataDirectory, InitialAdmin.PasswordFile)).Trim();

    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>The portal's own process (dotnet runs the app in the process it starts).</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("the portal is not running");

    public string ConsoleFor(Guid vmId) => Path.Combine(DataDirectory, "consoles", vmId.ToString("D") + ".log");
    public string DiskFor(Guid vmId) => Path.Combine(DataDirectory, "disks", vmId.ToString("D") + ".qcow2");

    /// <summary>Starts the portal and waits until it answers HTTP (60 s unless told otherwise).</summary>
    public async Task StartAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                Path.Combine(AppContext.BaseDirectory, "KrautPortal.dll"), "--urls", BaseAddress.ToString().TrimEnd('/'),
                "--Kraut:DataDirectory=" + DataDirectory,
                "--Kraut:Hosts:0=" + Host,
                "--Auth:GodTokens:0:Name=" + GodTokenName,
                "--Auth:GodTokens:0:Sha256=" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(GodToken))),
            },
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Test guests of a foreign arch (the aarch64 guest on x86_64) run emulated unless a test says otherwise.
        if (!_settings.ContainsKey("Kraut:AllowEmulation")) start.ArgumentList.Add("--Kraut:AllowEmulation=true");
        if (Trace) start.ArgumentList.Add("--Kraut:Telemetry:TraceFile=" + TraceFile);
        foreach (var (key, value) in _settings) start.ArgumentList.Add($"--{key}={value}");
        foreach (var (key, value) in TestHosts.RoomyCapacity.Where(c => !_settings.ContainsKey(c.Key))) start.ArgumentList.Add($"--{key}={value}");
        // SQLite in the data directory, or its own PostgreSQL database (KRAUT_TEST_DATABASE=postgres), kept across restarts.
        if (!_settings.ContainsKey("Database:Provider"))
        {
            foreach (var (key, value) in TestDatabase.Settings(DataDirectory)) start.ArgumentList.Add($"--{key}={value}");
        }
        start.Environment["ASPNETCORE_ENVIRONMENT"] = AspNetEnvironment;
        foreach (var (name, value) in EnvironmentVariables) start.Environment[name] = value;
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start the portal");
        _process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var client = CreateClient();
        client.Timeout = TimeSpan.FromSeconds(5);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the portal exited with {_process.ExitCode}:\n{Log}");
            try
            {
                using var answer = await client.GetAsync("api/v1/hosts");
                if (answer.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // listening but still starting (a loaded machine): one slow answer is not the end of waiting
            }
            if (clock.Elapsed > limit) throw new TimeoutException($"the portal did not answer within {limit.TotalSeconds:0} s:\n{Log}");
            await Task.Delay(100);
        }
    }

    /// <summary>A client that acts as an administrator through the god token.</summary>
    public HttpClient CreateClient() => Client(GodHeader);

    /// <summary>A client that signs in as the first-run administrator with Basic auth, as a person with a password would.</summary>
    public HttpClient CreateAdminClient() =>
        Client("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{InitialAdmin.User}:{AdminPassword}")));

    /// <summary>SIGKILL: no shutdown code runs, as in a crash or power loss. The data directory stays for a restart.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
        _process?.WaitForExit();
        _process?.Dispose();
        _process = null;
    }

    /// <summary>
    /// Kills the portal, then removes whatever its instance still has in libvirt and its data directory.
    /// Returns what had to be removed: after a clean run (every VM and network deleted through the API) nothing.
    /// </summary>
    public List<string> StopAndRemoveLeftovers()
    {
        var instance = InstanceId();
        Kill();
        _removed = true;
        // Replicas: the caller removes what they shared, once.
        if (_sharesDataDirectory) return [];
        // The test driver's state lived in the portal's process and ended with it.
        var removed = instance is not null && !Host.StartsWith("test:", StringComparison.Ordinal)
            ? LibvirtCleanup.RemoveInstance(Host, instance)
            : [];
        if (!_settings.ContainsKey("Database:Provider")) TestDatabase.Remove(DataDirectory);
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
        if (!_removed) StopAndRemoveLeftovers();
        return ValueTask.CompletedTask;
    }

    /// <summary>This instance's id, read from its database (the same value it writes into libvirt metadata).</summary>
    public string? InstanceId()
    {
        if (TestDatabase.IsPostgres && !_settings.ContainsKey("Database:Provider"))
        {
            using var pg = PostgresServer.ForDataDirectory(DataDirectory, create: false).OpenIfExists();
            if (pg is null) return null;
            using var query = pg.CreateCommand();
            query.CommandText = "SELECT \"Value\" FROM settings WHERE \"Key\" = 'instance-id'";
            try
            {
                return query.ExecuteScalar() as string;
            }
            catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.UndefinedTable)
            {
                return null;
            }
        }
        var db = Path.Combine(DataDirectory, "kraut.db");
        if (!File.Exists(db)) return null;
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT Value FROM settings WHERE Key = 'instance-id'";
        return command.ExecuteScalar() as string;
    }

    private HttpClient Client(string authorization)
    {
        // No single call of the portal takes this long; a hung one fails the caller instead of stalling it.
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        return client;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
