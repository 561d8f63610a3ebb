using System.Diagnostics;
using System.Globalization;

namespace KrautPortal.Tests.Support;

/// <summary>
/// A "remote site" on this machine: a network namespace reached over a veth pair (198.18.X.1/30 on the host,
/// .2 inside), with its own VXLAN endpoint towards the host and an address on the overlay. Dispose removes it all.
/// </summary>
public sealed class RemoteSite : IDisposable
{
    private readonly string _hostVeth;
    private Process? _httpd;
    private string? _www;

    /// <param name="vni">The segment both ends carry.</param>
    /// <param name="overlayAddress">The site's address on the overlay, with its prefix: 10.1.2.20/24.</param>
    public RemoteSite(int vni, int port, string overlayAddress)
    {
        var suffix = HostLinks.RandomSuffix(6);
        Namespace = "kxr" + suffix;
        _hostVeth = "kxrh" + suffix;
        var siteVeth = "kxrp" + suffix;
        var octet = Random.Shared.Next(0, 256).ToString(CultureInfo.InvariantCulture);
        HostUnderlay = $"198.18.{octet}.1";
        SiteUnderlay = $"198.18.{octet}.2";
        OverlayAddress = overlayAddress.Split('/')[0];
        try
        {
            Tool.Run("ip", "netns", "add", Namespace);
            Tool.Run("ip", "link", "add", _hostVeth, "type", "veth", "peer", "name", siteVeth, "netns", Namespace);
            Tool.Run("ip", "addr", "add", HostUnderlay + "/30", "dev", _hostVeth);
            Tool.Run("ip", "link", "set", "dev", _hostVeth, "up");
            InSite("ip", "link", "set", "dev", "lo", "up");
            InSite("ip", "addr", "add", SiteUnderlay + "/30", "dev", siteVeth);
            InSite("ip", "link", "set", "dev", siteVeth, "up");
            // Learning stays on here: the site finds the guests' MACs behind the host's VTEP as a real site would.
            InSite("ip", "link", "add", Vxlan, "type", "vxlan", "id", vni.ToString(CultureInfo.InvariantCulture),
                "dstport", port.ToString(CultureInfo.InvariantCulture), "remote", HostUnderlay, "local", SiteUnderlay, "dev", siteVeth);
            InSite("ip", "addr", "add", overlayAddress, "dev", Vxlan);
            InSite("ip", "link", "set", "dev", Vxlan, "up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public const string Vxlan = "vx0";
    public string Namespace { get; }
    public string HostUnderlay { get; }
    public string SiteUnderlay { get; }
    public string OverlayAddress { get; }

    /// <summary>Runs a command inside the site; returns its exit status and output.</summary>
    public ToolOutput TryInSite(params string[] command) =>
        Tool.Try("ip", ["netns", "exec", Namespace, .. command]);

    public string InSite(params string[] command) => Tool.Run("ip", ["netns", "exec", Namespace, .. command]);

    /// <summary>Serves <paramref name="page"/> on the site's overlay address (busybox httpd in the foreground, stopped on dispose).</summary>
    public void ServeHttp(int port, string page)
    {
        _www = Directory.CreateTempSubdirectory("kraut-site-www-").FullName;
        File.WriteAllText(Path.Combine(_www, "index.html"), page);
        _httpd = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", Namespace, "busybox", "httpd", "-f", "-p",
            $"{OverlayAddress}:{port.ToString(CultureInfo.InvariantCulture)}", "-h", _www]) { RedirectStandardError = true, RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("could not start busybox httpd in the site");
    }

    public void Dispose()
    {
        if (_httpd is { HasExited: false }) _httpd.Kill();
        _httpd?.WaitForExit();
        _httpd?.Dispose();
        if (_www is not null) Directory.Delete(_www, recursive: true);
        // Deleting the namespace destroys the site's veth end, and with it the host's.
        Tool.Try("ip", "netns", "del", Namespace);
        HostLinks.Delete(_hostVeth);
    }
}
