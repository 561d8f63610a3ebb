using System.Net;
using System.Net.Http.Headers;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Images;

/// <summary>A portal that takes images of at most 4 MiB.</summary>
public sealed class SmallLimitPortal() : ImagePortal(new Dictionary<string, string?> { ["Images:MaxUploadBytes"] = (4 << 20).ToString() });

/// <summary>Images:MaxUploadBytes: refused before reading when the size is declared, stopped at the limit when it is not.</summary>
public sealed class UploadLimitTests(SmallLimitPortal portal) : IClassFixture<SmallLimitPortal>
{
    private const int MiB = 1 << 20;

    [Fact]
    public async Task Put_DeclaringMoreThanTheLimit_Is413_BeforeReadingAByte_AndChangesNothing()
    {
        var id = await portal.CreateImageAsync();
        var stream = new ControlledStream(new byte[5 * MiB]);
        var content = new StreamContent(stream);
        content.Headers.ContentLength = 5 * MiB;

        // Expect: 100-continue (curl sends it for large bodies): the body is only sent once the server asks for it.
        using var response = await portal.PutAsync(id, content, expectContinue: true);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "at most 4 MiB", "this one is 5 MiB");
        Assert.Equal(0, stream.Handed);
        portal.AssertNothingLeft(id);
        Assert.Equal("awaiting-content", await portal.PhaseAsync(id));
    }

    [Fact]
    public async Task Put_APartOfAWholeAboveTheLimit_Is413_BeforeReading()
    {
        var id = await portal.CreateImageAsync();
        var stream = new ControlledStream(new byte[MiB]);
        var content = new StreamContent(stream);
        content.Headers.ContentLength = MiB;

        using var response = await portal.PutAsync(id, content, range: new ContentRangeHeaderValue(0, MiB - 1, 5 * MiB), expectContinue: true);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "this one is 5 MiB");
        Assert.Equal(0, stream.Handed);
        portal.AssertNothingLeft(id);
    }

    [Fact]
    public async Task Put_OfUnknownLength_PastTheLimit_Is413_WhileStreaming_AndLeavesNothing()
    {
        var id = await portal.CreateImageAsync();
        // No Content-Length: HttpClient sends it chunked, so only counting can tell.
        var content = new StreamContent(new ControlledStream(ImagePortal.RandomBytes(6 * MiB)));

        using var response = await portal.PutAsync(id, content);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "at most 4 MiB", "stopped and discarded");
        portal.AssertNothingLeft(id);
        var status = await portal.StatusAsync(id);
        Assert.Equal("failed", (string?)status["phase"]);
        Assert.Contains("at most 4 MiB", (string?)status["message"], StringComparison.Ordinal);
        Assert.DoesNotContain(id, portal.Pipeline.Calls);
    }

    [Fact]
    public async Task Put_ExactlyAtTheLimit_IsAccepted()
    {
        var id = await portal.CreateImageAsync();
        var bytes = ImagePortal.RandomBytes(4 * MiB);

        using var response = await portal.PutAsync(id, new StreamContent(new ControlledStream(bytes)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(ImagePortal.Sha256(bytes), (string?)(await portal.StatusAsync(id))["sha256"]);
    }

    [Fact]
    public async Task Head_TellsTheLimit()
    {
        var id = await portal.CreateImageAsync();

        using var head = await portal.HeadAsync(id);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal((4 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture), head.Headers.GetValues("X-Upload-Limit").Single());
        Assert.Equal("awaiting-content", head.Headers.GetValues("X-Image-Phase").Single());
        Assert.Equal(0, ImagePortal.BytesReceived(head));
    }
}
