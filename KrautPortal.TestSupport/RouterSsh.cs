using System.Diagnostics;
using System.Net.Http.Json;

namespace KrautPortal.TestSupport;

/// <summary>What an ssh command did: Ok when it ran and printed <see cref="RouterSsh.Marker"/>.</summary>
public sealed record SshResult(bool Ok, string Output);

/// <summary>
/// Real <c>ssh</c> into a router in geek mode, from a network namespace (the internet): keys made with ssh-keygen,
/// added to a user's profile through the API, commands run as the appliance's root.
/// </summary>
public static class RouterSsh
{
    /// <summary>Commands end with <c>echo KRAUT-SSH-OK</c>: a shell that ran them prints it.</summary>
    public const string Marker = "KRAUT-SSH-OK";

    private static readonly string[] Options =
    [
        "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
    ];

    /// <summary>A new ed25519 key pair at <paramref name="directory"/>/<paramref name="name"/> (and .pub); returns the private key's path.</summary>
    public static string NewKey(string directory, string name)
    {
        Tool.PackagedFile("/usr/bin/ssh-keygen", "openssh-client");
        var path = Path.Combine(directory, name);
        Tool.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", $"{name}@kraut-test", "-f", path);
        return path;
    }

    /// <summary>Adds the key's public half to the profile of whoever <paramref name="client"/> acts as.</summary>
    public static async Task AddToProfileAsync(HttpClient client, string keyPath)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/profile/ssh-keys", new { key = File.ReadAllText(keyPath + ".pub").Trim() });
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"adding a profile key failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Runs <paramref name="command"/> (which should end by echoing <see cref="Marker"/>) on the router, from <paramref name="from"/>.</summary>
    public static async Task<SshResult> RunAsync(NetworkNamespace ns, string key, string from, string host, string command)
    {
        Tool.PackagedFile("/usr/bin/ssh", "openssh-client");
        var result = await ns.TryAsync(["ssh", "-i", key, "-b", from, .. Options, $"{RouterLab.RouterSshUser}@{host}", command]);
        return new SshResult(result.ExitCode == 0 && result.StdOut.Contains(Marker, StringComparison.Ordinal), result.StdOut + result.StdErr);
    }

    /// <summary>A shell on the router kept open (ssh with its stdin a pipe): what a person at a prompt types into.</summary>
    public static Process OpenShell(NetworkNamespace ns, string key, string from, string host)
    {
        Tool.PackagedFile("/usr/bin/ssh", "openssh-client");
        var process = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", ns.Name, "ssh", "-T", "-i", key, "-b", from, .. Options,
            $"{RouterLab.RouterSshUser}@{host}", "sh"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("could not start ssh");
        return process;
    }
}
