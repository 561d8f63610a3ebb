using KrautPortal.Features.Web;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Web;

/// <summary>Web:PathBase is checked when the portal starts: a prefix that cannot work stops it with a sentence naming the setting.</summary>
public sealed class PathBaseTests
{
    [Theory]
    [InlineData("/kraut")]
    [InlineData("/tools/kraut-1.0")]
    public void APlainPrefix_IsAccepted(string value) => Assert.Null(PathBase.Problem(value));

    [Theory]
    [InlineData("kraut", "must start with '/'")]
    [InlineData("/kraut/", "must not end with '/' (write /kraut)")]
    [InlineData("/", "leave the setting out")]
    [InlineData("/a//b", "empty segment")]
    [InlineData("/a/../b", "'..' segment")]
    [InlineData("/kraut?x=1", "only letters, digits")]
    [InlineData("/kr aut", "only letters, digits")]
    [InlineData("/kraut%2F", "only letters, digits")]
    public void AMalformedPrefix_IsRefused_WithTheReason(string value, string reason) =>
        Assert.Contains(reason, PathBase.Problem(value));

    [Fact]
    public async Task APortalWithAMalformedPathBase_DoesNotStart_AndSaysWhy()
    {
        // From the environment, as a container would set it (the command line is what PathBasePortal uses).
        await using var portal = new PortalProcess(TestHosts.TestDriver, null)
        {
            EnvironmentVariables = new Dictionary<string, string> { ["Web__PathBase"] = "/kraut/" },
        };

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => portal.StartAsync());

        Assert.Contains("Web:PathBase '/kraut/': it must not end with '/' (write /kraut).", failure.Message);
    }
}
