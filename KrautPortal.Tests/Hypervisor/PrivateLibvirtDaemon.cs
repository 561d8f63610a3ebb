using System.Diagnostics;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>A throw-away libvirtd of the test's own, so a test can kill a daemon without touching the host's.</summary>
/// <remarks>
/// It runs in a private mount namespace with empty state, config copy and log directories, so it
/// neither sees nor disturbs the system daemon's domains, networks, pid file or sockets; its socket
/// lives in a temp directory. Clients reach libvirt's test driver through it (test+unix://), which
/// gives a real remote connection: keepalive, close callback, EOF when the daemon dies.
/// </remarks>
internal sealed class PrivateLibvirtDaemon : IDisposable
{
    private readonly DirectoryInfo _dir;
    private readonly Process _process;

    private PrivateLibvirtDaemon(DirectoryInfo dir, Process process)
    {
        _dir = dir;
        _process = process;
    }

    public string SocketPath => Path.Combine(_dir.FullName, "sock", "libvirt-sock");

    public string TestDriverUri => $"test+unix:///default?socket={SocketPath}";

    public static async Task<PrivateLibvirtDaemon> StartAsync()
    {
        var dir = Directory.CreateTempSubdirectory("kraut-libvirtd-");
        Directory.CreateDirectory(Path.Combine(dir.FullName, "sock"));
        var etc = Path.Combine(dir.FullName, "etc");
        CopyDirectory("/etc/libvirt", etc);
        var conf = Path.Combine(dir.FullName, "libvirtd.conf");
        await File.WriteAllTextAsync(conf, $"""
            unix_sock_dir = "{Path.Combine(dir.FullName, "sock")}"
            unix_sock_rw_perms = "0700"
            auth_unix_rw = "none"
            auth_unix_ro = "none"
            """);

        const string setup = """
            set -e
            for d in /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt; do
              mkdir -p "$d"; mount -t tmpfs tmpfs "$d"
            done
            mount --bind "$1" /etc/libvirt
            exec libvirtd -f "$2" -p "$3"
            """;
        var psi = new ProcessStartInfo("unshare")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--mount", "--propagation", "private", "sh", "-c", setup, "sh", etc, conf, Path.Combine(dir.FullName, "libvirtd.pid") })
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start unshare");
        var daemon = new PrivateLibvirtDaemon(dir, process);
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(daemon.SocketPath))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                daemon.Dispose();
                throw new InvalidOperationException($"private libvirtd did not start: {await stderr}");
            }

            await Task.Delay(100);
        }

        return daemon;
    }

    /// <summary>Kills the daemon as a crash would: no goodbye to its clients.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        _dir.Delete(recursive: true);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var sub in Directory.EnumerateDirectories(from))
        {
            CopyDirectory(sub, Path.Combine(to, Path.GetFileName(sub)));
        }
    }
}
