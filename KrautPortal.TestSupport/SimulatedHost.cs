using System.Diagnostics;
using System.Globalization;

namespace KrautPortal.TestSupport;

/// <summary>
/// A second hypervisor host on this machine: a libvirtd with the QEMU driver (and a virtlogd of its own) in a mount
/// namespace of its own and a network namespace of its own, reached by Kraut as <see cref="Uri"/>
/// (<c>qemu+tcp://10.255.N.2/system</c>) over a veth pair with a /30 of its own. The host's own interfaces, addresses
/// and routes are never touched: the only new host-side thing is the veth end <see cref="HostLink"/>.
/// </summary>
/// <remarks>
/// Inside, /run/libvirt, /var/lib/libvirt, /var/log/libvirt and /var/cache/libvirt are empty tmpfs, /etc/libvirt is a
/// copy, and <see cref="DataDirectory"/> (where Kraut keeps the host's storage pool) is a directory of its own, visible
/// from outside as <see cref="DataDirectoryOutside"/> so tests can look at what landed there. Every path given as hidden
/// (the portal's data directory) is covered by an empty tmpfs: a domain that still names a file the portal wrote locally
/// fails to start here, as it would on a real remote host. Names carry this process's id, so leftovers of a crashed run
/// (dead owner) are removed by the next start.
/// </remarks>
public sealed class SimulatedHost : IDisposable
{
    /// <summary>Where Kraut's storage pool lives on the simulated host (the default of <c>Kraut:HostDataDirectory</c>).</summary>
    public const string DataDirectory = "/var/lib/kraut";

    private const string NamespacePrefix = "kraut-simhost-";
    private const string LinkPrefix = "ksv";
    private readonly DirectoryInfo _dir;
    private Process? _daemon;
    private bool _disposed;

    private SimulatedHost(int subnet, DirectoryInfo dir)
    {
        Subnet = subnet;
        _dir = dir;
        Namespace = $"{NamespacePrefix}{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{subnet.ToString(CultureInfo.InvariantCulture)}";
        HostLink = LinkPrefix + subnet.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>N of 10.255.N.0/30, the link's own subnet.</summary>
    public int Subnet { get; }

    public string Namespace { get; }

    /// <summary>The host end of the veth pair (10.255.N.1/30).</summary>
    public string HostLink { get; }

    /// <summary>The simulated host's address (10.255.N.2), where its libvirtd listens on TCP 16509.</summary>
    public string Address => $"10.255.{Subnet.ToString(CultureInfo.InvariantCulture)}.2";

    public string Uri => $"qemu+tcp://{Address}/system";

    /// <summary>What the simulated host sees at <see cref="DataDirectory"/>, seen from this machine.</summary>
    public string DataDirectoryOutside => Path.Combine(_dir.FullName, "data");

    /// <summary>From the start of the set-up until libvirtd answered on its TCP socket.</summary>
    public TimeSpan StartTime { get; private set; }

    /// <summary>Starts a simulated host; <paramref name="hidden"/> are paths of this machine it must not see (covered by empty tmpfs).</summary>
    public static async Task<SimulatedHost> StartAsync(IReadOnlyList<string> hidden, TimeSpan? timeout = null)
    {
        Tool.PackagedFile("/usr/sbin/libvirtd", "libvirt-daemon");
        Tool.PackagedFile("/usr/sbin/virtlogd", "libvirt-daemon");
        Tool.PackagedFile("/usr/bin/virsh", "libvirt-clients");
        Tool.PackagedFile("/usr/sbin/ip", "iproute2");
        Tool.PackagedFile("/usr/bin/unshare", "util-linux");
        RemoveLeftovers();
        var started = Stopwatch.StartNew();
        var (subnet, dir) = ClaimSubnet();
        var host = new SimulatedHost(subnet, dir);
        try
        {
            await host.SetUpAsync(hidden, timeout ?? TimeSpan.FromSeconds(60));
            host.StartTime = started.Elapsed;
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>virsh against this host over its TCP URI (a real, independent client); throws unless it succeeds.</summary>
    public string Virsh(params string[] args) => Tool.Run("virsh", ["-c", Uri, .. args]);

    public ToolOutput TryVirsh(params string[] args) => Tool.Try("virsh", ["-c", Uri, .. args]);

    /// <summary>Runs a command as the simulated host sees the machine: in its mount and network namespaces (nsenter into libvirtd's).</summary>
    public ToolOutput TryInside(params string[] command) =>
        Tool.Try("nsenter", ["--target", (_daemon ?? throw new InvalidOperationException("not started")).Id.ToString(CultureInfo.InvariantCulture), "--mount", "--net", .. command]);

    /// <summary>
    /// Takes a free N: the veth's name is the lock (creating a link that exists fails), and no address of this
    /// machine may be in 10.255.N.0/30 already.
    /// </summary>
    private static (int Subnet, DirectoryInfo Dir) ClaimSubnet()
    {
        var used = Tool.Run("ip", "-o", "-4", "addr", "show");
        var start = Random.Shared.Next(1, 250);
        for (var i = 0; i < 250; i++)
        {
            var n = (start + i) % 250 + 1;
            if (used.Contains($"10.255.{n.ToString(CultureInfo.InvariantCulture)}.", StringComparison.Ordinal)) continue;
            var link = LinkPrefix + n.ToString(CultureInfo.InvariantCulture);
            var peer = "ksp" + n.ToString(CultureInfo.InvariantCulture);
            if (Tool.Try("ip", "link", "add", link, "type", "veth", "peer", "name", peer).ExitCode != 0) continue;
            return (n, Directory.CreateTempSubdirectory($"{NamespacePrefix}{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{n.ToString(CultureInfo.InvariantCulture)}-"));
        }
        throw new InvalidOperationException("no free 10.255.N.0/30 for a simulated host");
    }

    private async Task SetUpAsync(IReadOnlyList<string> hidden, TimeSpan timeout)
    {
        var n = Subnet.ToString(CultureInfo.InvariantCulture);
        var peer = "ksp" + n;
        Tool.Run("ip", "netns", "add", Namespace);
        Tool.Run("ip", "link", "set", "dev", peer, "netns", Namespace);
        Tool.Run("ip", "addr", "add", $"10.255.{n}.1/30", "dev", HostLink);
        Tool.Run("ip", "link", "set", "dev", HostLink, "up");
        InNamespace("ip", "link", "set", "dev", peer, "name", "eth0");
        InNamespace("ip", "addr", "add", $"{Address}/30", "dev", "eth0");
        InNamespace("ip", "link", "set", "dev", "eth0", "up");
        InNamespace("ip", "link", "set", "dev", "lo", "up");

        Directory.CreateDirectory(DataDirectoryOutside);
        CopyDirectory("/etc/libvirt", Path.Combine(_dir.FullName, "etc"));
        var conf = Path.Combine(_dir.FullName, "libvirtd.conf");
        // TCP without authentication is for this test link only: it exists inside this machine, between two namespaces.
        await File.WriteAllTextAsync(conf, $"""
            listen_tls = 0
            listen_tcp = 1
            listen_addr = "{Address}"
            tcp_port = "16509"
            auth_tcp = "none"
            """);
        // The QEMU capabilities cache is copied in (when the system daemon has one): probing every emulator again costs seconds.
        const string setup = """
            set -e
            dir=$1; shift
            if [ -d /var/cache/libvirt/qemu/capabilities ]; then cp -a /var/cache/libvirt/qemu "$dir/qemu-cache"; fi
            for d in /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt; do
              mkdir -p "$d"; mount -t tmpfs tmpfs "$d"
            done
            if [ -d "$dir/qemu-cache" ]; then cp -a "$dir/qemu-cache" /var/cache/libvirt/qemu; fi
            mount --bind "$dir/etc" /etc/libvirt
            mkdir -p /var/lib/kraut
            mount --bind "$dir/data" /var/lib/kraut
            for hidden in "$@"; do
              if [ -d "$hidden" ]; then mount -t tmpfs -o mode=0700 tmpfs "$hidden"; fi
            done
            virtlogd -d -p "$dir/virtlogd.pid"
            exec libvirtd --listen -f "$dir/libvirtd.conf" -p "$dir/libvirtd.pid"
            """;
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in (string[])["netns", "exec", Namespace, "unshare", "--mount", "--propagation", "private", "sh", "-c", setup, "sh", _dir.FullName, .. hidden])
            psi.ArgumentList.Add(a);
        _daemon = Process.Start(psi) ?? throw new InvalidOperationException("could not start the simulated host's libvirtd");
        var stderr = new System.Text.StringBuilder();
        _daemon.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        _daemon.OutputDataReceived += (_, _) => { };
        _daemon.BeginErrorReadLine();
        _daemon.BeginOutputReadLine();

        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_daemon.HasExited) throw new InvalidOperationException($"the simulated host's libvirtd exited: {Captured()}");
            if ((await Tool.TryAsync("virsh", ["-c", Uri, "uri"])).ExitCode == 0) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the simulated host's libvirtd did not answer on {Uri} within {timeout.TotalSeconds:0} s: {Captured()}");
            await Task.Delay(100);
        }

        string Captured()
        {
            lock (stderr) return stderr.ToString().Trim();
        }
    }

    private void InNamespace(params string[] command) => Tool.Run("ip", ["netns", "exec", Namespace, .. command]);

    /// <summary>Kills everything running in the namespace (libvirtd, virtlogd, QEMU, dnsmasq), removes it, the link and the directory.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        TearDown(Namespace, HostLink, _dir.FullName);
        _daemon?.Dispose();
    }

    private static void TearDown(string ns, string link, string? dir)
    {
        if (Tool.Try("ip", "netns", "pids", ns) is { ExitCode: 0 } pids)
        {
            foreach (var pid in pids.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                try
                {
                    using var process = Process.GetProcessById(int.Parse(pid, CultureInfo.InvariantCulture));
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(5000);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    // exited meanwhile
                }
            }
        }
        Tool.Try("ip", "netns", "del", ns);
        Tool.Try("ip", "link", "del", "dev", link);
        if (dir is null || !Directory.Exists(dir)) return;
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The next start's leftover pass tries again.
        }
    }

    /// <summary>Removes simulated hosts whose owning process is gone (a crashed test run).</summary>
    private static void RemoveLeftovers()
    {
        var list = Tool.Try("ip", "netns", "list");
        var names = list.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0])
            .Where(n => n.StartsWith(NamespacePrefix, StringComparison.Ordinal));
        foreach (var name in names)
        {
            var parts = name[NamespacePrefix.Length..].Split('-');
            if (parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var owner) || IsAlive(owner)) continue;
            TearDown(name, LinkPrefix + parts[1], null);
        }
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), NamespacePrefix + "*"))
        {
            var parts = Path.GetFileName(dir)[NamespacePrefix.Length..].Split('-');
            if (int.TryParse(parts[0], CultureInfo.InvariantCulture, out var owner) && !IsAlive(owner)) TearDown("", "", dir);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.EnumerateDirectories(from)) CopyDirectory(sub, Path.Combine(to, Path.GetFileName(sub)));
    }
}
