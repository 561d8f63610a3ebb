using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Browser;

/// <summary>
/// A real portal process on libvirt's test driver (VMs are records, nothing boots), shared by the browser
/// tests that need VMs but not guests. Each test makes its own uniquely named VMs.
/// </summary>
public sealed class TestDriverPortal : IAsyncLifetime
{
    private HttpClient? _http;

    public PortalProcess Portal { get; } = new(KrautAppFactory.TestDriver, seedImage: "blank");

    /// <summary>The portal's REST API, for arranging and checking what the browser does.</summary>
    public KrautApi Api { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        await Portal.StartAsync();
        // As the same person the browser signs in as, so both own what they create.
        _http = Portal.CreateAdminClient();
        Api = new KrautApi(_http);
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        await Portal.DisposeAsync();
    }
}
