using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Networks.Span;

/// <summary>The host agent's answer: a refusal or failure throws <see cref="HostAgentException"/>.</summary>
/// <param name="Line">"ok &lt;link&gt; &lt;operstate&gt; &lt;bridge&gt; &lt;mtu&gt; &lt;remotes&gt;" or "ok &lt;link&gt; absent".</param>
public sealed record HostAgentReply(string Line)
{
    public string State => Words.Length > 2 ? Words[2] : "unknown";

    private string[] Words => Line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}

public sealed class HostAgentException(string message) : Exception(message);

/// <summary>
/// Talks to <c>scripts/kraut-host-net</c> on a remote host: ssh to the host's agent account, whose authorized_keys entry
/// forces the agent as the command, with one request line on stdin. Nothing of the request reaches a shell on either
/// side: ssh is run from an argument list here, and the agent checks every word before it runs anything.
/// </summary>
public sealed class HostAgent(IOptions<HostSpanOptions> options)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public async Task<HostAgentReply> SendAsync(string target, string request, CancellationToken ct)
    {
        var (destination, port) = Split(target);
        var o = options.Value;
        var psi = new ProcessStartInfo("ssh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        List<string> args = ["-T", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "StrictHostKeyChecking=accept-new"];
        if (o.SshKnownHosts is not null) args.AddRange(["-o", "UserKnownHostsFile=" + o.SshKnownHosts]);
        if (o.SshIdentity is not null) args.AddRange(["-i", o.SshIdentity, "-o", "IdentitiesOnly=yes"]);
        if (port is not null) args.AddRange(["-p", port]);
        // "--" ends ssh's options: the target can never be read as one.
        args.AddRange(["--", destination]);
        foreach (var a in args) psi.ArgumentList.Add(a);

        using var process = Process.Start(psi) ?? throw new HostAgentException("could not start ssh");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        try
        {
            await process.StandardInput.WriteAsync((request + "\n").AsMemory(), timeout.Token);
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            var output = (await stdout).Trim();
            var error = (await stderr).Trim();
            if (process.ExitCode != 0 || !output.StartsWith("ok ", StringComparison.Ordinal))
            {
                throw new HostAgentException(process.ExitCode == 255
                    ? $"ssh to {target} failed: {error}"
                    : $"the host agent on {target} answered {process.ExitCode.ToString(CultureInfo.InvariantCulture)}: {(error.Length > 0 ? error : output)}");
            }
            return new HostAgentReply(output.Split('\n')[^1]);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new HostAgentException($"the host agent on {target} did not answer within {Timeout.TotalSeconds:0} s");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>"user@host:port" into ssh's destination and port; a target that could be read as an option is refused.</summary>
    internal static (string Destination, string? Port) Split(string target)
    {
        if (string.IsNullOrWhiteSpace(target) || target.StartsWith('-') || target.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new HostAgentException($"'{target}' is not an ssh target (user@host or user@host:port).");
        var colon = target.LastIndexOf(':');
        if (colon > 0 && target.IndexOf(':') == colon && int.TryParse(target[(colon + 1)..], CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536)
            return (target[..colon], port.ToString(CultureInfo.InvariantCulture));
        return (target, null);
    }
}
