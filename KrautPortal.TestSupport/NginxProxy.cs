using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KrautPortal.TestSupport;

/// <summary>
/// A private Debian nginx in front of a portal, publishing it under a path prefix as the README tells operators to:
/// its own configuration, pid, logs and temp files in a temp directory, a free port on 127.0.0.1, never the system
/// nginx or port 80. Stopped (with its workers) and deleted on dispose.
/// </summary>
public sealed class NginxProxy : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/nginx";

    private readonly string _directory;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private NginxProxy(string directory, int port, string prefix)
    {
        _directory = directory;
        Port = port;
        Prefix = prefix;
    }

    public int Port { get; }

    /// <summary>The path the portal is published under, without a trailing slash (<c>/kraut</c>).</summary>
    public string Prefix { get; }

    /// <summary>The portal's public address through the proxy, ending in a slash so relative URLs stay under the prefix.</summary>
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}{Prefix}/");

    public string AccessLogFile => Path.Combine(_directory, "access.log");
    public string ErrorLogFile => Path.Combine(_directory, "error.log");

    /// <summary>Every request nginx logged so far (the combined format: request line, status, referrer, user agent).</summary>
    public string AccessLog => File.Exists(AccessLogFile) ? File.ReadAllText(AccessLogFile) : "";

    public string ErrorLog => File.Exists(ErrorLogFile) ? File.ReadAllText(ErrorLogFile) : "";

    /// <summary>
    /// The <c>location</c> block the README shows, for a portal at <paramref name="upstream"/> (its own address, no
    /// path) and configured with <c>Web:PathBase</c> = <paramref name="prefix"/>. It needs the <see cref="UpgradeMap"/>
    /// in the <c>http</c> block.
    /// </summary>
    public static string Location(string prefix, string upstream) => $$"""
        location {{prefix}}/ {
            proxy_pass {{upstream}};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            # nginx's default: a console's WebSocket survives it because the portal pings every 20 s.
            proxy_read_timeout 60s;
            # Image uploads are large and streamed.
            client_max_body_size 0;
            proxy_request_buffering off;
        }
        """;

    /// <summary>WebSocket upgrades pass through; every other request closes its upstream connection as usual.</summary>
    public const string UpgradeMap = """
        map $http_upgrade $connection_upgrade {
            default upgrade;
            ''      close;
        }
        """;

    /// <summary>Starts nginx proxying <paramref name="prefix"/>/ to <paramref name="upstream"/> and waits until it accepts connections.</summary>
    public static async Task<NginxProxy> StartAsync(Uri upstream, string prefix = "/kraut")
    {
        if (!File.Exists(Binary))
            throw new InvalidOperationException($"{Binary} is missing: install Debian's nginx (scripts/setup-host.sh --with-tests does)");
        var directory = Directory.CreateTempSubdirectory("kraut-nginx-").FullName;
        var proxy = new NginxProxy(directory, FreePort(), prefix);
        try
        {
            await proxy.RunAsync(upstream.GetLeftPart(UriPartial.Authority));
            return proxy;
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
    }

    private async Task RunAsync(string upstream)
    {
        var config = Path.Combine(_directory, "nginx.conf");
        await File.WriteAllTextAsync(config, Configuration(upstream));
        var start = new ProcessStartInfo(Binary)
        {
            ArgumentList = { "-p", _directory + "/", "-c", config, "-e", ErrorLogFile, "-g", "daemon off;" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Binary}");
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"nginx exited with {_process.ExitCode}:\n{Output}\n{ErrorLog}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                // not listening yet
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"nginx did not listen on {Port} within 20 s:\n{Output}\n{ErrorLog}");
            await Task.Delay(50);
        }
    }

    private string Output { get { lock (_output) return _output.ToString(); } }

    private string Configuration(string upstream)
    {
        string Temp(string name) => Path.Combine(_directory, name);
        // As root, nginx's workers would run as nobody and could not write their temp files in this private directory.
        var user = Environment.UserName == "root" ? "user root root;" : "";
        return $$"""
            {{user}}
            worker_processes 1;
            pid {{Temp("nginx.pid")}};
            error_log {{ErrorLogFile}} info;
            events { worker_connections 256; }
            http {
                access_log {{AccessLogFile}};
                client_body_temp_path {{Temp("client-body")}};
                proxy_temp_path {{Temp("proxy")}};
                fastcgi_temp_path {{Temp("fastcgi")}};
                uwsgi_temp_path {{Temp("uwsgi")}};
                scgi_temp_path {{Temp("scgi")}};

            {{Indent(UpgradeMap)}}

                server {
                    listen 127.0.0.1:{{Port}};
                    server_name localhost;

            {{Indent(Indent(Location(Prefix, upstream)))}}
                }
            }
            """;
    }

    private static string Indent(string text) => string.Join('\n', text.Split('\n').Select(l => l.Length == 0 ? l : "    " + l));

    public ValueTask DisposeAsync()
    {
        // With its workers: a killed master leaves them serving.
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
        _process?.WaitForExit();
        _process?.Dispose();
        _process = null;
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a temp directory
        }
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
