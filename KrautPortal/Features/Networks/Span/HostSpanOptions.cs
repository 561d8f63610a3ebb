using System.Net;
using System.Net.Sockets;

namespace KrautPortal.Features.Networks.Span;

/// <summary>
/// The <c>Kraut:HostSpan</c> configuration section: how a network whose VMs sit on several hosts is joined into one
/// layer-2 segment (a VXLAN link on each of those hosts' bridges, flooding to the other hosts).
/// </summary>
public sealed class HostSpanOptions
{
    public const string Section = "Kraut:HostSpan";

    /// <summary>
    /// The UDP port of the span links. Not the outside connections' 4789, so a span VNI (derived from the network id) can
    /// never clash with a VNI an admin chose for an outside connection. Default 8472 (Linux's own historic VXLAN port).
    /// </summary>
    public int Port { get; set; } = 8472;

    /// <summary>The private key ssh uses to reach the host agent (null: ssh's default identities).</summary>
    public string? SshIdentity { get; set; }

    /// <summary>ssh's known-hosts file for the agents (null: ssh's default). Unknown host keys are accepted once, then pinned.</summary>
    public string? SshKnownHosts { get; set; }

    /// <summary>One entry per host taking part; a host without an address here (and none in its URI) is never joined.</summary>
    public List<HostSpanHost> Hosts { get; set; } = [];

    /// <summary>The settings of <paramref name="uri"/>, filled in from a <c>qemu+ssh://user@address/system</c> URI where not given.</summary>
    public HostSpanHost For(string uri)
    {
        var given = Hosts.FirstOrDefault(h => h.Uri == uri) ?? new HostSpanHost { Uri = uri };
        if (!System.Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || string.IsNullOrEmpty(parsed.Host)) return given;
        var address = given.Address ?? (IPAddress.TryParse(parsed.Host, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork ? ip.ToString() : null);
        var ssh = given.Ssh;
        if (ssh is null && parsed.Scheme == "qemu+ssh")
        {
            ssh = (string.IsNullOrEmpty(parsed.UserInfo) ? "" : parsed.UserInfo + "@") + parsed.Host;
            if (!parsed.IsDefaultPort && parsed.Port > 0) ssh += ":" + parsed.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return new HostSpanHost { Uri = uri, Address = address, Ssh = ssh };
    }
}

public sealed class HostSpanHost
{
    /// <summary>The libvirt URI, exactly as in <c>Kraut:Hosts</c>.</summary>
    public string Uri { get; set; } = "";

    /// <summary>The host's IPv4 address the other hosts send the network's traffic to (the inter-host network).</summary>
    public string? Address { get; set; }

    /// <summary>
    /// <c>user@host</c> or <c>user@host:port</c> where the host agent (scripts/kraut-host-net) answers over SSH; derived from a
    /// <c>qemu+ssh://</c> URI, needed for any other transport. Not used for this machine's own host (qemu:///system).
    /// </summary>
    public string? Ssh { get; set; }
}
