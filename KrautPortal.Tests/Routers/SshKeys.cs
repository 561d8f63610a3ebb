namespace KrautPortal.Tests.Routers;

/// <summary>Throw-away SSH key pairs (ssh-keygen) and a non-interactive <c>ssh</c> with them, for geek-mode tests.</summary>
internal sealed class SshKeys : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kraut-ssh-");

    /// <summary>Makes an ed25519 key pair without passphrase; returns the private key's path (the public one is + ".pub").</summary>
    public string Create(string name)
    {
        var path = Path.Combine(_dir.FullName, name);
        Tool.Run(Tool.PackagedFile("/usr/bin/ssh-keygen", "openssh-client"), "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path);
        return path;
    }

    public static Task<ToolOutput> RunAsync(string key, string host, string command) =>
        Tool.TryAsync(Tool.PackagedFile("/usr/bin/ssh", "openssh-client"),
        [
            "-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR", $"root@{host}", command,
        ]);

    public void Dispose() => _dir.Delete(recursive: true);
}
