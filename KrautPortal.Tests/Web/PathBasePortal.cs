using KrautPortal.Features.Web;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Web;

/// <summary>
/// A real portal published by a real nginx under /kraut, set up as the README tells operators: <c>Web:PathBase</c>
/// and nginx's address as a trusted proxy. Reachable directly too (its own port, root path).
/// </summary>
public class PathBasePortal : IAsyncLifetime
{
    public const string Prefix = "/kraut";

    /// <summary>On libvirt's test driver, with no image: enough for pages and the API.</summary>
    public PathBasePortal() : this(TestHosts.TestDriver, null)
    {
    }

    protected PathBasePortal(string hostUri, string? seedImage) =>
        Portal = new(hostUri, seedImage, new Dictionary<string, string?>
        {
            [PathBase.Key] = Prefix,
            [TrustedProxies.Key + ":0"] = "127.0.0.1",
        });

    public PortalProcess Portal { get; }

    public NginxProxy Nginx { get; private set; } = null!;

    /// <summary>The portal as people reach it: through nginx, under the prefix.</summary>
    public Uri PublicAddress => Nginx.BaseAddress;

    /// <summary>An administrator's API client (god token) through nginx; relative URLs stay under the prefix.</summary>
    public HttpClient CreatePublicClient(bool followRedirects = true)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = followRedirects }) { BaseAddress = PublicAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", Portal.GodHeader);
        return client;
    }

    public virtual async Task InitializeAsync()
    {
        await Portal.StartAsync();
        Nginx = await NginxProxy.StartAsync(Portal.BaseAddress, Prefix);
    }

    public async Task DisposeAsync()
    {
        if (Nginx is not null) await Nginx.DisposeAsync();
        await Portal.DisposeAsync();
    }
}
