using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features.Images;
using KrautPortal.Features.Images.Upload;
using KrautPortal.Tests.Api;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KrautPortal.Tests.Images;

/// <summary>A portal with no import allow list, and a file server it must not reach.</summary>
public sealed class NoAllowListFixture : IAsyncLifetime
{
    public ImagePortal Portal { get; } = new();
    public TestFileServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestFileServer.StartAsync();

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Portal.Dispose();
    }
}

/// <summary>
/// URL import refuses internal addresses (SSRF): at request time with a 422 when it can tell, and at connect time
/// for every address a name resolves to, so a second lookup cannot point it elsewhere.
/// </summary>
public sealed class ImportRefusalTests(NoAllowListFixture fixture) : IClassFixture<NoAllowListFixture>
{
    private ImagePortal Portal => fixture.Portal;
    private TestFileServer Server => fixture.Server;

    [Theory]
    [InlineData("http://127.0.0.1:{v4port}/file/refused", "127.0.0.1 is a loopback address")]
    [InlineData("http://[::1]:{v6port}/file/refused", "::1 is a loopback address")]
    [InlineData("http://localhost:{v4port}/file/refused", "localhost resolves to 127.0.0.1, which is a loopback address")]
    [InlineData("http://LOCALHOST.:{v4port}/file/refused", "localhost resolves to 127.0.0.1, which is a loopback address")]
    [InlineData("http://[::ffff:127.0.0.1]:{v4port}/file/refused", "loopback address")]
    [InlineData("http://2130706433:{v4port}/file/refused", "127.0.0.1 is a loopback address")]
    [InlineData("http://10.20.30.40/disk.qcow2", "private address (RFC 1918)")]
    [InlineData("http://172.16.0.1/disk.qcow2", "private address (RFC 1918)")]
    [InlineData("http://172.31.255.254/disk.qcow2", "private address (RFC 1918)")]
    [InlineData("http://192.168.1.1/disk.qcow2", "private address (RFC 1918)")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "link-local address")]
    [InlineData("http://[::ffff:169.254.169.254]/latest/meta-data/", "link-local address")]
    [InlineData("http://100.64.0.1/disk.qcow2", "carrier-grade NAT address")]
    [InlineData("http://100.127.255.254/disk.qcow2", "carrier-grade NAT address")]
    [InlineData("http://0.0.0.0/disk.qcow2", "unspecified")]
    [InlineData("http://[::]/disk.qcow2", "unspecified")]
    [InlineData("http://224.0.0.1/disk.qcow2", "multicast address")]
    [InlineData("http://[ff02::1]/disk.qcow2", "multicast address")]
    [InlineData("http://255.255.255.255/disk.qcow2", "broadcast address")]
    [InlineData("http://[fd00::1]/disk.qcow2", "private (unique local) address")]
    [InlineData("http://[fe80::1]/disk.qcow2", "link-local address")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/disk.qcow2", "link-local address (where cloud metadata services answer) wrapped in IPv6")]
    [InlineData("ftp://example.com/disk.qcow2", "Only http and https")]
    [InlineData("file:///etc/passwd", "Only http and https")]
    [InlineData("http://user:secret@example.com/disk.qcow2", "user name or password")]
    public async Task Import_OfAForbiddenUrl_Is422_AtRequestTime_AndChangesNothing(string url, string says)
    {
        var id = await Portal.CreateImageAsync();
        var name = Server.Add("refused", ImagePortal.RandomBytes(1000));
        url = url.Replace("{v4port}", Server.V4.Port.ToString(), StringComparison.Ordinal).Replace("{v6port}", Server.V6.Port.ToString(), StringComparison.Ordinal);

        using var response = await Portal.Http.PostAsync($"/api/v1/images/{id}/import", ApiClient.Json(new JsonObject { ["url"] = url }));

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, says);
        Assert.NotNull(problem["errors"]!["url"]);
        Assert.Equal("awaiting-content", await Portal.PhaseAsync(id));
        Portal.AssertNothingLeft(id);
        Assert.DoesNotContain(Server.Requests, r => r.EndsWith("/file/" + name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connect_ResolvesTheNameItself_AndRefusesAForbiddenAddress_EvenWhenTheRequestTimeCheckWasPassed()
    {
        // The downloader alone, as after a redirect or a second DNS answer: only the connection's own check stands
        // between it and the server listening on localhost.
        var downloader = Portal.App.Service<ImportDownloader>();
        var url = new Uri($"http://localhost:{Server.V4.Port}/file/{Server.Add("rebound", ImagePortal.RandomBytes(1000))}");

        var refused = await Assert.ThrowsAsync<ImportRefusedException>(() => downloader.GetAsync(url, CancellationToken.None));

        Assert.Contains("localhost resolves to 127.0.0.1, which is a loopback address", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Server.Requests, r => r.EndsWith("/file/rebound", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connect_ToAHostNameOnTheAllowList_IsRefused_WhenItPointsAtThisHost_UnlessTheAddressIsNamedToo()
    {
        var bytes = ImagePortal.RandomBytes(1000);
        var url = new Uri($"http://localhost:{Server.V4.Port}/file/{Server.Add("by-name", bytes)}");
        var byName = new ImportAddressPolicy(Options.Create(new ImagesOptions { ImportAllowList = ["LocalHost"] }));
        using var refusing = new ImportDownloader(byName, Options.Create(new ImagesOptions()));

        var refused = await Assert.ThrowsAsync<ImportRefusedException>(() => refusing.GetAsync(url, CancellationToken.None));
        Assert.Contains("localhost resolves to 127.0.0.1, which is a loopback address of the Kraut host itself", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Server.Requests, r => r.EndsWith("/file/by-name", StringComparison.Ordinal));

        var named = new ImportAddressPolicy(Options.Create(new ImagesOptions { ImportAllowList = ["LocalHost", "127.0.0.1"] }));
        using var downloader = new ImportDownloader(named, Options.Create(new ImagesOptions()));
        using var response = await downloader.GetAsync(url, CancellationToken.None);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public void AnInvalidAllowListEntry_FailsValidation_NamingIt()
    {
        // AddImageContent validates the options on start: the portal does not start with an entry it cannot read.
        var services = new ServiceCollection();
        services.Configure<ImagesOptions>(o => o.ImportAllowList = ["mirror.lan", "10.0.0.0/33"]);
        services.AddImageContent();
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ImagesOptions>>().Value);

        Assert.Contains("'10.0.0.0/33' is not a host name", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("mirror.lan", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>Which addresses an import may reach, and what the allow list opens up.</summary>
public sealed class ImportAddressPolicyTests
{
    private static ImportAddressPolicy Policy(params string[] allow) => new(Options.Create(new ImagesOptions { ImportAllowList = [.. allow] }));

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]
    public void PublicAddresses_ArePermitted(string address) =>
        Assert.True(Policy().Permits("example.com", IPAddress.Parse(address)));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.255.254")]
    [InlineData("::1")]
    [InlineData("10.0.0.1")]
    [InlineData("172.16.0.1")]
    [InlineData("192.168.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("224.0.0.251")]
    [InlineData("255.255.255.255")]
    [InlineData("fc00::1")]
    [InlineData("fdff::1")]
    [InlineData("fe80::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::127.0.0.1")]
    [InlineData("64:ff9b::7f00:1")]
    [InlineData("2002:7f00:1::1")]
    [InlineData("2002:a9fe:a9fe::1")]
    // The rest of IANA's special-purpose registries, which the policy once missed (192.88.99.0/24 let an import reach
    // a service on the host's address on a tenant bridge there), and IPv6 spellings that carry them.
    [InlineData("192.88.99.1")]
    [InlineData("::ffff:192.88.99.1")]
    [InlineData("64:ff9b::c058:6301")]
    [InlineData("2002:c058:6301::1")]
    [InlineData("::ffff:0:c058:6301")]
    [InlineData("192.31.196.1")]
    [InlineData("192.52.193.1")]
    [InlineData("192.175.48.1")]
    [InlineData("192.0.0.9")]
    [InlineData("100::1")]
    [InlineData("2001::1")]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2")]
    [InlineData("2001:2::1")]
    [InlineData("2001:20::1")]
    [InlineData("2001:db8::1")]
    [InlineData("2620:4f:8000::1")]
    [InlineData("3fff::1")]
    [InlineData("5f00::1")]
    [InlineData("64:ff9b:1::1")]
    [InlineData("64:ff9b::a00:1")]
    [InlineData("2002:c0a8:101::1")]
    [InlineData("2002:6440:1::1")]
    [InlineData("fec0::1")]
    [InlineData("ff05::2")]
    public void InternalAddresses_AreRefused(string address)
    {
        Assert.NotNull(ImportAddressPolicy.Forbidden(IPAddress.Parse(address)));
        Assert.False(Policy().Permits("example.com", IPAddress.Parse(address)));
    }

    [Fact]
    public void TheAllowList_OpensExactlyTheNamedNetworksAndHosts()
    {
        var policy = Policy("10.1.0.0/16", "192.168.7.7", "mirror.lan", "*.corp.example", "fd00:1::/32");

        Assert.True(policy.Permits("x", IPAddress.Parse("10.1.200.3")));
        Assert.True(policy.Permits("x", IPAddress.Parse("::ffff:10.1.200.3")));
        Assert.False(policy.Permits("x", IPAddress.Parse("10.2.0.1")));
        Assert.True(policy.Permits("x", IPAddress.Parse("192.168.7.7")));
        Assert.False(policy.Permits("x", IPAddress.Parse("192.168.7.8")));
        Assert.True(policy.Permits("MIRROR.lan.", IPAddress.Parse("192.168.50.5")));
        Assert.False(policy.Permits("mirror.lan.evil.com", IPAddress.Parse("192.168.50.5")));
        Assert.True(policy.Permits("images.corp.example", IPAddress.Parse("10.9.9.9")));
        Assert.False(policy.Permits("corp.example.evil", IPAddress.Parse("10.9.9.9")));
        Assert.True(policy.Permits("x", IPAddress.Parse("fd00:1::5")));
        Assert.False(policy.Permits("x", IPAddress.Parse("fd00:2::5")));
        Assert.False(policy.Permits("x", IPAddress.Parse("127.0.0.1")));
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("not a host")]
    [InlineData("*.")]
    [InlineData("http://mirror.lan/")]
    public void AllowListEntriesThatAreNone_AreNamed(string entry) =>
        Assert.Contains($"'{entry}'", ImportAddressPolicy.AllowEntryProblem(entry), StringComparison.Ordinal);
}
