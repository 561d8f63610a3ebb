using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Browser;

/// <summary>
/// A real portal process on libvirt's test driver (VMs are records, nothing boots), shared by the browser
/// tests that need VMs but not guests. Each test makes its own uniquely named VMs.
/// </summary>
public class TestDriverPortal : IAsyncLifetime
{
    private HttpClient? _http;

    public TestDriverPortal() : this(new Dictionary<string, string?>())
    {
    }

    /// <param name="settings">More configuration for the portal, for tests that need a setting of their own.</param>
    protected TestDriverPortal(IReadOnlyDictionary<string, string?> settings) =>
        Portal = new(KrautAppFactory.TestDriver, SeedImages.Blank, settings);

    public PortalProcess Portal { get; }

    /// <summary>The portal's REST API, for arranging and checking what the browser does.</summary>
    public KrautApi Api { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        await Portal.StartAsync();
        // As the same person the browser signs in as, so both own what they create.
        _http = Portal.CreateAdminClient();
        Api = new KrautApi(_http);
    }

    public virtual async Task DisposeAsync()
    {
        _http?.Dispose();
        await Portal.DisposeAsync();
    }
}
