using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KrautPortal.Tests.Support;

/// <summary>
/// The portal as a real separate process (built output of KrautPortal), for the browser and for killing it
/// mid-work. Keeps its data directory across restarts; deletes it on dispose.
/// </summary>
public sealed class PortalProcess : IAsyncDisposable
{
    private readonly string _hostUri;
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly StringBuilder _log = new();
    private Process? _process;

    public PortalProcess(string hostUri = KrautAppFactory.SystemDriver, bool seedGuest = true)
        : this(hostUri, seedGuest ? "guest" : null)
    {
    }

    /// <param name="seedImage">As for <see cref="KrautAppFactory"/>: "guest" (the real test guest), "blank" (an empty
    /// qcow2, enough to create VMs on libvirt's test driver) or null (no image).</param>
    /// <param name="settings">More configuration, e.g. <c>Auth:Htpasswd:File</c>, passed on the command line.</param>
    public PortalProcess(string hostUri, string? seedImage, IReadOnlyDictionary<string, string?>? settings = null)
    {
        _hostUri = hostUri;
        _settings = settings ?? new Dictionary<string, string?>();
        DataDirectory = Directory.CreateTempSubdirectory("kraut-portal-").FullName;
        KrautAppFactory.SeedImage(DataDirectory, seedImage);
        Port = FreePort();
    }

    public string DataDirectory { get; }
    public int Port { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");
    /// <summary>The password Kraut gave the first-run administrator (see InitialAdmin).</summary>
    public string AdminPassword => File.ReadAllText(Path.Combine(DataDirectory, KrautPortal.Features.Auth.InitialAdmin.PasswordFile)).Trim();

    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>Starts the portal and waits until it answers HTTP.</summary>
    public async Task StartAsync(TimeSpan? timeout = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "KrautPortal.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--urls", BaseAddress.ToString().TrimEnd('/'), "--Kraut:DataDirectory=" + DataDirectory, "--Kraut:Hosts:0=" + _hostUri },
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in TestCredentials.Settings().Concat(_settings)) start.ArgumentList.Add($"--{key}={value}");
        // Built (not published) output serves MudBlazor's and Blazor's CSS/JS only through the static web assets
        // manifest, which ASP.NET Core reads in Development; in Production they come back as empty 200s and no
        // page is interactive.
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start the portal");
        _process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var client = CreateClient();
        client.Timeout = TimeSpan.FromSeconds(5);
        await Eventually.WaitUntilAsync(async () =>
        {
            if (_process.HasExited) throw new InvalidOperationException($"the portal exited with {_process.ExitCode}:\n{Log}");
            try
            {
                return (await client.GetAsync("api/v1/hosts")).StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, timeout ?? TimeSpan.FromSeconds(60), "the portal to answer");
    }

    /// <summary>A client that authenticates as an administrator (the tests' god token).</summary>
    public HttpClient CreateClient()
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", TestCredentials.GodHeader);
        return client;
    }

    /// <summary>A client that signs in as the first-run administrator with Basic auth, as a person with a password would.</summary>
    public HttpClient CreateAdminClient()
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        var basic = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{KrautPortal.Features.Auth.InitialAdmin.User}:{AdminPassword}"));
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Basic " + basic);
        return client;
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash or power loss.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
        _process?.WaitForExit();
        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        var instance = InstanceId();
        Kill();
        if (instance is not null) LibvirtCleanup.RemoveInstance(_hostUri, instance);
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp directory
        }
        await Task.CompletedTask;
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
