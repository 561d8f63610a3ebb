using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using KrautPortal.Features.Images;
using KrautPortal.Features.Images.Upload;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.Options;

namespace KrautPortal.Tests.Images;

/// <summary>
/// A bridge like a tenant network's, with an address of the host on a range the administrator allowed for imports
/// (10.213.0.0/16 here), and a TCP service bound to that address: the attack of issue 9 (B2). Removed on dispose.
/// </summary>
public sealed class HostBridgeFixture : IAsyncLifetime
{
    public const string AllowedRange = "10.213.0.0/16";
    private readonly string _link = "ksrf" + HostLinks.RandomSuffix(8);

    public ImagePortal Portal { get; } = ImagePortal.With(new Dictionary<string, string?> { ["Images:ImportAllowList:0"] = AllowedRange });
    public IPAddress Address { get; } = IPAddress.Parse($"10.213.{Random.Shared.Next(1, 255)}.1");
    public TcpListener Service { get; private set; } = null!;

    public Task InitializeAsync()
    {
        // A /32 adds only the local route for the address itself: nothing on the host is routed anywhere new.
        Tool.Run("ip", "link", "add", _link, "type", "bridge");
        Tool.Run("ip", "addr", "add", $"{Address}/32", "dev", _link);
        Tool.Run("ip", "link", "set", _link, "up");
        Service = new TcpListener(Address, 0);
        Service.Start();
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Service.Stop();
        HostLinks.Delete(_link);
        Portal.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>URL import never reaches the host's own addresses, even on a range the allow list opens.</summary>
public sealed class ImportHostAddressTests(HostBridgeFixture fixture) : IClassFixture<HostBridgeFixture>
{
    private ImagePortal Portal => fixture.Portal;

    private Uri ServiceUrl => new($"http://{fixture.Address}:{((IPEndPoint)fixture.Service.LocalEndpoint).Port}/disk.qcow2");

    [Fact]
    public async Task Import_FromAServiceOnTheHostsAddressOnABridge_InAnAllowedRange_Is422_AndNothingConnects()
    {
        var id = await Portal.CreateImageAsync();

        using var response = await Portal.Http.PostAsync($"/api/v1/images/{id}/import", ApiClient.Json(new JsonObject { ["url"] = ServiceUrl.ToString() }));

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, $"{fixture.Address} is a private address (RFC 1918) of the Kraut host itself");
        Assert.Equal("awaiting-content", await Portal.PhaseAsync(id));
        await AssertNoConnectionAsync();
    }

    [Fact]
    public async Task Connect_ToTheHostsAddressOnABridge_IsRefusedBeforeConnecting_AsAfterARedirect()
    {
        var downloader = Portal.App.Service<ImportDownloader>();

        var refused = await Assert.ThrowsAsync<ImportRefusedException>(() => downloader.GetAsync(ServiceUrl, CancellationToken.None));

        Assert.Contains("of the Kraut host itself", refused.Message, StringComparison.Ordinal);
        await AssertNoConnectionAsync();
    }

    [Fact]
    public void TheAllowedRange_StillOpensOtherAddresses_AndNamingTheHostsAddressOpensIt()
    {
        var policy = Portal.App.Service<ImportAddressPolicy>();
        var neighbour = IPAddress.Parse(fixture.Address.ToString()[..^1] + "2");

        Assert.True(policy.Permits("mirror", neighbour));
        Assert.False(policy.Permits("mirror", fixture.Address));
        Assert.False(policy.Permits("mirror", IPAddress.Parse("::ffff:" + fixture.Address)));
        var named = new ImportAddressPolicy(Options.Create(new ImagesOptions { ImportAllowList = [HostBridgeFixture.AllowedRange, fixture.Address.ToString()] }));
        Assert.True(named.Permits("mirror", fixture.Address));
    }

    [Fact]
    public void AHostNameOnTheAllowList_DoesNotOpenTheHostsOwnAddresses()
    {
        var policy = new ImportAddressPolicy(Options.Create(new ImagesOptions { ImportAllowList = ["mirror.lan", "0.0.0.0/0", "::/0"] }));

        Assert.False(policy.Permits("mirror.lan", fixture.Address));
        Assert.False(policy.Permits("mirror.lan", IPAddress.Loopback));
        Assert.False(policy.Permits("x", IPAddress.Parse("127.0.0.2")));
        Assert.False(policy.Permits("x", IPAddress.IPv6Loopback));
        Assert.False(policy.Permits("x", IPAddress.Any));
        Assert.True(policy.Permits("mirror.lan", IPAddress.Parse("10.9.9.9")));
    }

    private async Task AssertNoConnectionAsync()
    {
        await Task.Delay(200);
        Assert.False(fixture.Service.Pending(), "the import connected to the host's own service");
    }
}

/// <summary>
/// What an import's status says when no HTTP answer came: one sentence for a closed port, a service that is not HTTP and
/// one that never answers, so the status is no port scanner.
/// </summary>
public sealed class ImportFailureMessageTests(ImportFixture fixture) : IClassFixture<ImportFixture>
{
    private ImagePortal Portal => fixture.Portal;

    [Fact]
    public async Task ClosedPort_NonHttpService_AndSilentService_GiveTheSameMessage()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var closedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        using var stop = new CancellationTokenSource();
        var banner = Serve(async (client, ct) =>
        {
            await client.GetStream().WriteAsync("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"u8.ToArray(), ct);
            await Task.Delay(Timeout.Infinite, ct);
        }, stop.Token);
        var silent = Serve((_, ct) => Task.Delay(Timeout.Infinite, ct), stop.Token);

        var messages = new List<string?>();
        foreach (var port in new[] { closedPort, banner, silent })
        {
            var id = await Portal.CreateImageAsync();
            using (var response = await Portal.Http.PostAsync($"/api/v1/images/{id}/import",
                ApiClient.Json(new JsonObject { ["url"] = $"http://127.0.0.1:{port}/disk.qcow2" })))
            {
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            }
            var status = await Portal.WaitForPhaseAsync(id, "failed");
            messages.Add((string?)status["message"]);
            Portal.AssertNothingLeft(id);
        }
        await stop.CancelAsync();

        Assert.Equal(3, messages.Count);
        Assert.All(messages, m => Assert.Equal(messages[0], m));
        Assert.Contains("Could not fetch", messages[0], StringComparison.Ordinal);
    }

    /// <summary>A TCP service on 127.0.0.1 that treats each client with <paramref name="serve"/>; returns its port.</summary>
    private static int Serve(Func<TcpClient, CancellationToken, Task> serve, CancellationToken ct)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _ = Task.Run(async () =>
        {
            using var stopping = ct.Register(listener.Stop);
            while (!ct.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(ct);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        try
                        {
                            await serve(client, ct);
                        }
                        catch (Exception e) when (e is OperationCanceledException or IOException)
                        {
                            // the test is over, or the portal hung up
                        }
                    }
                }, CancellationToken.None);
            }
        }, CancellationToken.None);
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
