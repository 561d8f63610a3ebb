using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.RemoteHosts;

/// <summary>
/// An sshd inside a <see cref="SimulatedHost"/> (its mount and network namespaces), listening on the host's address,
/// whose only key is a fresh test key forced to run the host agent (scripts/kraut-host-net) as root: exactly the
/// authorized_keys line the README gives operators. Keys, config and known-hosts file live in a directory of its own.
/// </summary>
public sealed class SimulatedHostSshd : IDisposable
{
    private readonly string _dir;
    private readonly SimulatedHost _host;
    private Process _sshd;

    private SimulatedHostSshd(SimulatedHost host, string dir, Process sshd)
    {
        _host = host;
        _dir = dir;
        _sshd = sshd;
        Target = $"root@{host.Address}";
    }

    /// <summary>root@address: where the portal's <c>Kraut:HostSpan:Hosts:N:Ssh</c> points.</summary>
    public string Target { get; }

    /// <summary>The portal's private key (<c>Kraut:HostSpan:SshIdentity</c>).</summary>
    public string Identity => Path.Combine(_dir, "portal_key");

    public string KnownHosts => Path.Combine(_dir, "known_hosts");

    public static async Task<SimulatedHostSshd> StartAsync(SimulatedHost host)
    {
        Tool.PackagedFile("/usr/sbin/sshd", "openssh-server");
        Tool.PackagedFile("/usr/bin/ssh-keygen", "openssh-client");
        var dir = Directory.CreateTempSubdirectory("kraut-sshd-").FullName;
        Tool.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kraut-test-host", "-f", Path.Combine(dir, "host_key"));
        Tool.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kraut-test-portal", "-f", Path.Combine(dir, "portal_key"));
        var agent = RepoPaths.Script("kraut-host-net");
        await File.WriteAllTextAsync(Path.Combine(dir, "authorized_keys"),
            $"command=\"{agent}\",restrict {(await File.ReadAllTextAsync(Path.Combine(dir, "portal_key.pub"))).Trim()}\n");
        await File.WriteAllTextAsync(Path.Combine(dir, "sshd_config"), $"""
            ListenAddress {host.Address}
            Port 22
            HostKey {dir}/host_key
            AuthorizedKeysFile {dir}/authorized_keys
            PidFile {dir}/sshd.pid
            PermitRootLogin forced-commands-only
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            """);
        var started = new SimulatedHostSshd(host, dir, Launch(host, dir));
        try
        {
            await started.WaitForAnswerAsync();
            return started;
        }
        catch
        {
            started.Dispose();
            throw;
        }
    }

    /// <summary>Stops sshd (the host's agent can no longer be reached); <see cref="RestartAsync"/> brings it back with the same keys.</summary>
    public void Stop()
    {
        if (!_sshd.HasExited) _sshd.Kill(entireProcessTree: true);
        _sshd.WaitForExit(5000);
    }

    public async Task RestartAsync()
    {
        Stop();
        _sshd.Dispose();
        _sshd = Launch(_host, _dir);
        await WaitForAnswerAsync();
    }

    private static Process Launch(SimulatedHost host, string dir)
    {
        // sshd refuses to start without its privilege separation directory (the simulated host shares this machine's /run).
        Directory.CreateDirectory("/run/sshd");
        var daemon = Tool.Run("ip", "netns", "pids", host.Namespace).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .First(p => File.ReadAllText($"/proc/{p}/comm").Trim() == "libvirtd");
        var psi = new ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in (string[])["--target", daemon, "--mount", "--net", "/usr/sbin/sshd", "-D", "-e", "-f", Path.Combine(dir, "sshd_config")])
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start sshd");
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    private Task WaitForAnswerAsync() => Eventually.WaitUntilAsync(async () =>
    {
        if (_sshd.HasExited) throw new InvalidOperationException($"sshd exited with {_sshd.ExitCode.ToString(CultureInfo.InvariantCulture)} (run it with -d to see why)");
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(_host.Address, 22);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }, TimeSpan.FromSeconds(20), "sshd answering in the simulated host");

    public void Dispose()
    {
        try
        {
            if (!_sshd.HasExited) _sshd.Kill(entireProcessTree: true);
            _sshd.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // gone already
        }
        _sshd.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"sshd for {Target}");
}
