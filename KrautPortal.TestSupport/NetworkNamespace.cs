using System.Diagnostics;
using System.Globalization;

namespace KrautPortal.TestSupport;

/// <summary>
/// A host of its own on a Kraut network: a network namespace whose <c>eth0</c> is one end of a veth pair, the other
/// end a port of the network's libvirt bridge. Its addresses and routes exist only inside the namespace (the host's
/// own interfaces, addresses and routes are never touched), so it can play "the internet" upstream of a router, or a
/// client on a network. Runs curl, ping, TCP probes and small servers inside; <see cref="Dispose"/> removes the
/// namespace, its processes and both links, also after a failed set-up.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private readonly List<Process> _servers = [];
    private readonly List<string> _directories = [];
    private bool _disposed;

    private NetworkNamespace(string suffix)
    {
        Name = "ktn" + suffix;
        HostLink = "ktv" + suffix;
    }

    /// <summary>The namespace's name (<c>ip netns</c>).</summary>
    public string Name { get; }

    /// <summary>The host end of the veth pair, a port of the bridge.</summary>
    public string HostLink { get; }

    /// <summary>The bridge the namespace is plugged into.</summary>
    public string Bridge { get; private set; } = "";

    /// <summary>The namespace's IPv4 addresses (no prefix length), the first one the default source.</summary>
    public IReadOnlyList<string> Addresses { get; private set; } = [];

    public const string Interface = "eth0";

    /// <summary>
    /// Plugs a new namespace into <paramref name="bridge"/> with <paramref name="addresses"/> (CIDR form,
    /// <c>10.1.2.200/24</c>) and <paramref name="routes"/> (destination CIDR or "default", next hop) inside it.
    /// </summary>
    public static NetworkNamespace OnBridge(string bridge, IReadOnlyList<string> addresses, IReadOnlyList<(string To, string Via)>? routes = null)
    {
        RequireTools();
        if (!Directory.Exists($"/sys/class/net/{bridge}/bridge")) throw new ArgumentException($"{bridge} is not a bridge on this host", nameof(bridge));
        if (addresses.Count == 0) throw new ArgumentException("give the namespace at least one address", nameof(addresses));
        var ns = new NetworkNamespace(Guid.NewGuid().ToString("N")[..8]) { Bridge = bridge };
        try
        {
            var peer = "ktp" + ns.Name[3..];
            Tool.Run("ip", "netns", "add", ns.Name);
            Tool.Run("ip", "link", "add", ns.HostLink, "type", "veth", "peer", "name", peer, "netns", ns.Name);
            Tool.Run("ip", "link", "set", "dev", ns.HostLink, "master", bridge);
            Tool.Run("ip", "link", "set", "dev", ns.HostLink, "up");
            ns.Run("ip", "link", "set", "dev", peer, "name", Interface);
            ns.Run("ip", "link", "set", "dev", "lo", "up");
            foreach (var address in addresses) ns.Run("ip", "addr", "add", address, "dev", Interface);
            ns.Run("ip", "link", "set", "dev", Interface, "up");
            ns.Addresses = addresses.Select(a => a.Split('/')[0]).ToList();
            foreach (var (to, via) in routes ?? []) ns.AddRoute(to, via);
            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>Adds (or replaces) a route inside the namespace.</summary>
    public void AddRoute(string to, string via) => Run("ip", "route", "replace", to, "via", via, "dev", Interface);

    public void DeleteRoute(string to) => Try("ip", "route", "del", to);

    /// <summary>Runs a command inside the namespace and reports how it went.</summary>
    public ToolOutput Try(params string[] command) => Tool.Try("ip", ["netns", "exec", Name, .. command]);

    public Task<ToolOutput> TryAsync(params string[] command) => Tool.TryAsync("ip", ["netns", "exec", Name, .. command]);

    /// <summary>Runs a command inside the namespace; throws with its error output unless it succeeds.</summary>
    public string Run(params string[] command) => Tool.Run("ip", ["netns", "exec", Name, .. command]);

    /// <summary>
    /// GET <paramref name="url"/> with curl from inside, from <paramref name="from"/> (one of <see cref="Addresses"/>)
    /// when given. <paramref name="timeout"/> bounds the connect and, doubled, the whole request.
    /// </summary>
    public async Task<HttpProbe> GetAsync(string url, TimeSpan timeout, string? from = null)
    {
        var seconds = timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        var total = (timeout.TotalSeconds * 2).ToString("0.###", CultureInfo.InvariantCulture);
        List<string> command = ["curl", "-s", "-S", "--noproxy", "*", "--connect-timeout", seconds, "-m", total, "-w", "\nKRAUT-HTTP-STATUS=%{http_code}"];
        if (from is not null) command.AddRange(["--interface", from]);
        command.Add(url);
        return HttpProbe.FromCurl(await TryAsync([.. command]));
    }

    /// <summary>Whether a TCP connection to host:port is accepted, refused or dropped (bash's /dev/tcp: no data is sent).</summary>
    public async Task<ProbeOutcome> ConnectAsync(string host, int port, TimeSpan timeout)
    {
        var seconds = timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        var result = await TryAsync("timeout", seconds, "bash", "-c", $"exec 3<>/dev/tcp/{host}/{port.ToString(CultureInfo.InvariantCulture)}");
        return result.ExitCode switch
        {
            0 => ProbeOutcome.Answered,
            124 => ProbeOutcome.TimedOut,
            _ when result.StdErr.Contains("refused", StringComparison.OrdinalIgnoreCase) => ProbeOutcome.Refused,
            _ => ProbeOutcome.Failed,
        };
    }

    /// <summary>Whether <paramref name="host"/> answers <paramref name="count"/> pings (busybox ping; 1 s each).</summary>
    public async Task<bool> PingAsync(string host, int count = 1) =>
        (await TryAsync("busybox", "ping", "-c", count.ToString(CultureInfo.InvariantCulture), "-W", "1", host)).ExitCode == 0;

    /// <summary>
    /// Opens <paramref name="count"/> HTTP requests to <paramref name="url"/> at once (all started within a few
    /// milliseconds, from one shell inside), each giving up on its connection after <paramref name="connectTimeout"/>,
    /// and returns how many were answered. Keep the timeout under 1 s to count first SYNs only (TCP retries a lost one
    /// after about 1 s).
    /// </summary>
    public async Task<int> BurstAsync(string url, int count, TimeSpan connectTimeout, string? from = null)
    {
        const string script = """
            url=$1 n=$2 t=$3 from=$4
            i=0
            while [ $i -lt $n ]; do
              if [ -n "$from" ]; then
                curl -s -o /dev/null --noproxy '*' --connect-timeout "$t" -m 10 -w 'KRAUT-BURST=%{http_code}\n' --interface "$from" "$url" &
              else
                curl -s -o /dev/null --noproxy '*' --connect-timeout "$t" -m 10 -w 'KRAUT-BURST=%{http_code}\n' "$url" &
              fi
              i=$((i + 1))
            done
            wait
            """;
        var output = await TryAsync("sh", "-c", script, "sh", url, count.ToString(CultureInfo.InvariantCulture),
            connectTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture), from ?? "");
        return output.StdOut.Split('\n').Count(l => l.StartsWith("KRAUT-BURST=", StringComparison.Ordinal) && l != "KRAUT-BURST=000");
    }

    /// <summary>
    /// Serves HTTP on <paramref name="port"/> (every address of the namespace) with busybox httpd: <c>/</c> answers
    /// <paramref name="page"/>, <c>/cgi-bin/whoami</c> the address the request came from (what NAT made of it).
    /// </summary>
    public void ServeHttp(int port, string page)
    {
        var www = Directory.CreateTempSubdirectory("kraut-netns-www-").FullName;
        _directories.Add(www);
        File.WriteAllText(Path.Combine(www, "index.html"), page);
        var cgi = Directory.CreateDirectory(Path.Combine(www, "cgi-bin")).FullName;
        File.WriteAllText(Path.Combine(cgi, "whoami"), "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' \"$REMOTE_ADDR\"\n");
        File.SetUnixFileMode(Path.Combine(cgi, "whoami"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var busybox = Tool.PackagedFile("/bin/busybox", "busybox-static");
        Start(busybox, "httpd", "-f", "-p", port.ToString(CultureInfo.InvariantCulture), "-h", www);
    }

    /// <summary>The address a whoami answer names, without httpd's brackets and IPv4-mapped prefix.</summary>
    public static string WhoamiAddress(string body) => body.Trim().Trim('[', ']').Replace("::ffff:", "", StringComparison.Ordinal);

    /// <summary>Starts a long-running command inside (a server); it is killed on dispose.</summary>
    public Process Start(params string[] command)
    {
        var process = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", Name, .. command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException($"could not start {command[0]} in {Name}");
        _servers.Add(process);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var server in _servers)
        {
            try
            {
                if (!server.HasExited) server.Kill(entireProcessTree: true);
                server.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
            server.Dispose();
        }
        // Anything still running in the namespace was started here (daemons fork away from their parent).
        var pids = Tool.Try("ip", "netns", "pids", Name);
        if (pids.ExitCode == 0)
        {
            foreach (var pid in pids.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                try
                {
                    using var process = Process.GetProcessById(int.Parse(pid, CultureInfo.InvariantCulture));
                    process.Kill(entireProcessTree: true);
                }
                catch (ArgumentException)
                {
                    // exited meanwhile
                }
            }
        }
        // Deleting the namespace destroys its veth end, and with it the host's; the host end is removed explicitly
        // too in case the pair was made but the peer never reached the namespace.
        Tool.Try("ip", "netns", "del", Name);
        Tool.Try("ip", "link", "del", "dev", HostLink);
        foreach (var dir in _directories)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // a temp directory
            }
        }
    }

    /// <summary>Fails early naming the Debian package of a missing tool.</summary>
    private static void RequireTools()
    {
        Tool.PackagedFile("/usr/sbin/ip", "iproute2");
        Tool.PackagedFile("/usr/bin/curl", "curl");
        Tool.PackagedFile("/usr/bin/timeout", "coreutils");
        Tool.PackagedFile("/bin/busybox", "busybox-static");
    }
}
