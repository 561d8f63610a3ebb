using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace KrautPortal.TestSupport;

/// <summary>
/// A private Debian Prometheus (<c>/usr/bin/prometheus</c>) scraping one target: its own configuration and storage in
/// a temp directory, a free port on 127.0.0.1, a two-second scrape interval (a loaded CI machine may take more than
/// one second to answer), never the system service. Killed and
/// deleted on dispose.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string Binary = "/usr/bin/prometheus";
    public const string Job = "kraut";

    private readonly string _directory;
    private readonly StringBuilder _output = new();
    private readonly HttpClient _http;
    private Process? _process;

    private PrometheusServer(string directory, int port)
    {
        _directory = directory;
        Port = port;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port { get; }

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>
    /// Starts Prometheus scraping <paramref name="target"/>'s <c>/metrics</c> as job <see cref="Job"/> every two seconds
    /// (with <paramref name="bearerToken"/> when given) and waits until it is ready.
    /// </summary>
    public static async Task<PrometheusServer> StartAsync(Uri target, string? bearerToken)
    {
        Tool.PackagedFile(Binary, "Debian's prometheus");
        var directory = Directory.CreateTempSubdirectory("kraut-prometheus-").FullName;
        var server = new PrometheusServer(directory, FreePort());
        try
        {
            await server.RunAsync(target, bearerToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task RunAsync(Uri target, string? bearerToken)
    {
        var config = Path.Combine(_directory, "prometheus.yml");
        var authorization = bearerToken is null ? "" : $"""

                authorization:
                  type: Bearer
                  credentials: "{bearerToken}"
            """;
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 2s
              scrape_timeout: 2s
            scrape_configs:
              - job_name: {Job}
                metrics_path: {target.AbsolutePath.TrimEnd('/')}/metrics
                static_configs:
                  - targets: ["{target.Authority}"]{authorization}
            """);
        var start = new ProcessStartInfo(Binary)
        {
            ArgumentList =
            {
                "--config.file=" + config,
                "--storage.tsdb.path=" + Path.Combine(_directory, "data"),
                "--web.listen-address=127.0.0.1:" + Port,
            },
            WorkingDirectory = _directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Binary}");
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"prometheus exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var ready = await _http.GetAsync("-/ready");
                if (ready.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"prometheus was not ready within 30 s:\n{Output}");
            await Task.Delay(100);
        }
    }

    /// <summary>An instant query (<c>/api/v1/query</c>): each result's labels and value.</summary>
    public async Task<IReadOnlyList<PrometheusSample>> QueryAsync(string promql)
    {
        using var answer = await _http.GetAsync("api/v1/query?query=" + Uri.EscapeDataString(promql));
        var body = await answer.Content.ReadAsStringAsync();
        if (!answer.IsSuccessStatusCode) throw new InvalidOperationException($"query {promql} failed ({(int)answer.StatusCode}): {body}");
        using var json = JsonDocument.Parse(body);
        var data = json.RootElement.GetProperty("data");
        var samples = new List<PrometheusSample>();
        if (data.GetProperty("resultType").GetString() != "vector") throw new InvalidOperationException($"query {promql} is no instant vector: {body}");
        foreach (var item in data.GetProperty("result").EnumerateArray())
        {
            var labels = item.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
            var value = item.GetProperty("value")[1].GetString()!;
            samples.Add(new PrometheusSample(labels, double.Parse(value, CultureInfo.InvariantCulture)));
        }
        return samples;
    }

    /// <summary>The scrape targets' health as Prometheus reports it (<c>/api/v1/targets</c>): last error and health per target.</summary>
    public async Task<string> TargetsAsync() => await _http.GetStringAsync("api/v1/targets");

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
        _http.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a temp directory
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One series of a query result.</summary>
public sealed record PrometheusSample(IReadOnlyDictionary<string, string> Labels, double Value);
