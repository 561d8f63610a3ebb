using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Auth.Htpasswd;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KrautPortal.Tests.Auth;

/// <summary>Apache's own <c>htpasswd</c>, writing files the way administrators do.</summary>
internal static class HtpasswdTool
{
    /// <summary>Adds or updates <paramref name="user"/> in <paramref name="file"/> (created if missing) with a hash flag such as -B.</summary>
    public static void Set(string file, string flag, string user, string password)
    {
        string[] args = File.Exists(file) ? ["-b", flag, file, user, password] : ["-c", "-b", flag, file, user, password];
        var (status, _, stderr) = Tool.Try("htpasswd", args);
        if (status != 0) throw new InvalidOperationException($"htpasswd {flag} {user}: {stderr}");
    }

    public static void Delete(string file, string user)
    {
        var (status, _, stderr) = Tool.Try("htpasswd", "-D", file, user);
        if (status != 0) throw new InvalidOperationException($"htpasswd -D {user}: {stderr}");
    }

    public static HtpasswdVerifier Verifier(string file, string? groupsFile = null, TimeProvider? time = null) =>
        new(Options.Create(new AuthOptions { Htpasswd = new HtpasswdOptions { File = file, GroupsFile = groupsFile } }),
            time ?? TimeProvider.System, NullLogger<HtpasswdVerifier>.Instance);
}

/// <summary>A scratch directory per test, removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("kraut-auth-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}

/// <summary>A local TCP port that listens and never says a word, counting connections and keeping what it is sent.</summary>
internal sealed class SilentServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];
    private readonly MemoryStream _received = new();
    private readonly CancellationTokenSource _stop = new();

    public SilentServer()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public string Url => $"ldap://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";

    public int Connections
    {
        get
        {
            lock (_accepted) return _accepted.Count;
        }
    }

    public byte[] Received
    {
        get
        {
            lock (_received) return _received.ToArray();
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                lock (_accepted) _accepted.Add(socket);
                _ = ReadAsync(socket);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task ReadAsync(Socket socket)
    {
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, _stop.Token)) > 0)
            {
                lock (_received) _received.Write(buffer, 0, read);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    /// <summary>A port nothing listens on (taken and released at once).</summary>
    public static int ClosedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_accepted)
        {
            foreach (var socket in _accepted) socket.Dispose();
        }
        _received.Dispose();
        _stop.Dispose();
    }
}
