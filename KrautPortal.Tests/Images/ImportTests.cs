using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features.Images;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Images;

/// <summary>A portal that may import from 127.0.0.1 (nothing else private), takes at most 8 MiB, and gives up on a silent server after 1 s; and a file server.</summary>
public sealed class ImportFixture : IAsyncLifetime
{
    public const int StallSeconds = 4;

    public ImagePortal Portal { get; } = ImagePortal.With(new Dictionary<string, string?>
    {
        ["Images:ImportAllowList:0"] = "127.0.0.1",
        ["Images:MaxUploadBytes"] = (8 << 20).ToString(),
        // Short, so the stall test is quick; not 1 s: a loaded CI machine once took longer than that to send the test
        // server's headers, and the import of a file it did serve failed as "no HTTP answer".
        ["Images:ImportStallSeconds"] = StallSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    public TestFileServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestFileServer.StartAsync();

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Portal.Dispose();
    }
}

/// <summary>POST …/import: downloads in the background with the upload's limits and checks, and only where it is allowed to.</summary>
public sealed class ImportTests(ImportFixture fixture) : IClassFixture<ImportFixture>
{
    private const int MiB = 1 << 20;
    private ImagePortal Portal => fixture.Portal;
    private TestFileServer Server => fixture.Server;

    private async Task<(HttpResponseMessage Response, JsonObject Json)> ImportAsync(Guid id, string url, string? sha256 = null)
    {
        var body = new JsonObject { ["url"] = url };
        if (sha256 is not null) body["sha256"] = sha256;
        var response = await Portal.Http.PostAsync($"/api/v1/images/{id}/import", ApiClient.Json(body));
        return (response, await ApiClient.ReadAsync(response));
    }

    private async Task<JsonObject> ImportUntilSettledAsync(Guid id, string url, string? sha256 = null)
    {
        var (response, json) = await ImportAsync(id, url, sha256);
        using (response)
        {
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {json.ToJsonString()}");
        }
        return await Portal.WaitForStatusAsync(id, s => (string?)s["phase"] is "checking" or "failed", "to finish downloading");
    }

    [Fact]
    public async Task Import_FromAnAllowedServer_Is202Downloading_ThenChecking_WithTheContentsSha256_AndHandedToThePipeline()
    {
        var id = await Portal.CreateImageAsync();
        var bytes = ImagePortal.RandomBytes(5 * MiB + 11);
        var url = new Uri(Server.V4, "/file/" + Server.Add("whole", bytes)).ToString();

        var (response, json) = await ImportAsync(id, url, ImagePortal.Sha256(bytes));

        using (response)
        {
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {json.ToJsonString()}");
            Assert.Equal(url, (string?)json["status"]!["sourceUrl"]);
            Assert.True((string?)json["status"]!["phase"] is "downloading" or "checking", json.ToJsonString());
        }
        var status = await Portal.WaitForPhaseAsync(id, "checking");
        Assert.Equal(ImagePortal.Sha256(bytes), (string?)status["sha256"]);
        Assert.Equal(bytes.Length, (long)status["bytesReceived"]!);
        Assert.Equal(url, (string?)status["sourceUrl"]);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Portal.Files.ArrivedPath(id)));
        Assert.False(File.Exists(Portal.Files.PartPath(id)));
        Assert.Single(Portal.Pipeline.Calls, c => c == id);
    }

    [Fact]
    public async Task Import_OfAQcow2Disk_ThroughTheRealPipeline_EndsReady_HoldingTheSameDisk()
    {
        using var disk = TestDisk.Create();
        var id = await Portal.CreateImageAsync();
        var url = new Uri(Server.V4, "/file/" + Server.Add("disk-" + id.ToString("N"), await File.ReadAllBytesAsync(disk.Qcow2))).ToString();

        var arrived = await ImportUntilSettledAsync(id, url);
        Assert.True((string?)arrived["phase"] == "checking", arrived.ToJsonString());
        Portal.Pipeline.Release(id);

        var status = await Portal.WaitForStatusAsync(id, s => (string?)s["phase"] is "ready" or "failed", "to be ready or failed", seconds: 60);
        Assert.True((string?)status["phase"] == "ready", status.ToJsonString());
        Assert.Equal("qcow2", (string?)status["sourceFormat"]);
        Assert.Equal(url, (string?)status["sourceUrl"]);
        Tool.Run("qemu-img", "compare", "-f", "raw", "-F", "qcow2", disk.Raw,
            Portal.App.Service<ImageStorage>().PathFor(id, ImageFormat.Qcow2));
        Portal.AssertNothingLeft(id);
    }

    [Fact]
    public async Task Import_WithoutContentLength_StreamsToTheEnd()
    {
        var id = await Portal.CreateImageAsync();
        var bytes = ImagePortal.RandomBytes(3 * MiB);

        var status = await ImportUntilSettledAsync(id, new Uri(Server.V4, "/chunked/" + Server.Add("chunked", bytes)).ToString());

        Assert.Equal("checking", (string?)status["phase"]);
        Assert.Equal(ImagePortal.Sha256(bytes), (string?)status["sha256"]);
    }

    [Fact]
    public async Task Import_WithAWrongChecksum_FailsNamingBoth_AndLeavesNothing()
    {
        var id = await Portal.CreateImageAsync();
        var bytes = ImagePortal.RandomBytes(MiB);
        var wrong = ImagePortal.Sha256([9]);

        var status = await ImportUntilSettledAsync(id, new Uri(Server.V4, "/file/" + Server.Add("checked", bytes)).ToString(), wrong);

        Assert.Equal("failed", (string?)status["phase"]);
        Assert.Contains(wrong, (string?)status["message"], StringComparison.Ordinal);
        Assert.Contains(ImagePortal.Sha256(bytes), (string?)status["message"], StringComparison.Ordinal);
        Portal.AssertNothingLeft(id);
        Assert.DoesNotContain(id, Portal.Pipeline.Calls);
    }

    [Fact]
    public async Task Import_FollowsFiveRedirects_ButNotSix()
    {
        var bytes = ImagePortal.RandomBytes(100_000);
        var name = Server.Add("far", bytes);
        var five = await Portal.CreateImageAsync();
        var six = await Portal.CreateImageAsync();

        var followed = await ImportUntilSettledAsync(five, new Uri(Server.V4, $"/hops/4/{name}").ToString());
        var refused = await ImportUntilSettledAsync(six, new Uri(Server.V4, $"/hops/5/{name}").ToString());

        Assert.Equal("checking", (string?)followed["phase"]);
        Assert.Equal(ImagePortal.Sha256(bytes), (string?)followed["sha256"]);
        Assert.Equal("failed", (string?)refused["phase"]);
        Assert.Contains("redirected more than 5 times", (string?)refused["message"], StringComparison.Ordinal);
        Portal.AssertNothingLeft(six);
        Assert.DoesNotContain(Server.Requests, r => r.EndsWith($"/file/{name}", StringComparison.Ordinal) && r.Contains("hops/5", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("v6", "loopback")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "link-local")]
    [InlineData("http://10.0.0.1/disk.img", "private")]
    public async Task Import_RedirectedFromAnAllowedServerToAForbiddenAddress_FailsWithoutGoingThere(string target, string reason)
    {
        var id = await Portal.CreateImageAsync();
        var bytes = ImagePortal.RandomBytes(1000);
        var name = Server.Add("v6only-" + Guid.NewGuid().ToString("N"), bytes);
        // The IPv6 loopback serves the same files: were the redirect followed, the import would succeed.
        var to = target == "v6" ? new Uri(Server.V6, "/file/" + name).ToString() : target;

        var status = await ImportUntilSettledAsync(id, new Uri(Server.V4, "/redirect?to=" + Uri.EscapeDataString(to)).ToString());

        Assert.Equal("failed", (string?)status["phase"]);
        Assert.Contains(reason, (string?)status["message"], StringComparison.Ordinal);
        Assert.Contains("ImportAllowList", (string?)status["message"], StringComparison.Ordinal);
        Assert.DoesNotContain(Server.Requests, r => r.StartsWith("::1", StringComparison.Ordinal) && r.Contains(name, StringComparison.Ordinal));
        Portal.AssertNothingLeft(id);
    }

    [Fact]
    public async Task Import_AboveTheLimit_ByContentLength_FailsBeforeDownloading()
    {
        var id = await Portal.CreateImageAsync();

        var status = await ImportUntilSettledAsync(id, new Uri(Server.V4, "/file/" + Server.Add("big", new byte[9 * MiB])).ToString());

        Assert.Equal("failed", (string?)status["phase"]);
        Assert.Contains("at most 8 MiB", (string?)status["message"], StringComparison.Ordinal);
        Assert.Contains("this one is 9 MiB", (string?)status["message"], StringComparison.Ordinal);
        Portal.AssertNothingLeft(id);
    }

    [Fact]
    public async Task Import_AboveTheLimit_WithoutContentLength_IsStoppedWhileDownloading_AndLeavesNothing()
    {
        var id = await Portal.CreateImageAsync();

        var status = await ImportUntilSettledAsync(id, new Uri(Server.V4, "/endless").ToString());

        Assert.Equal("failed", (string?)status["phase"]);
        // Said only by the check while streaming: the server offers 256 MiB and never says how much.
        Assert.Contains("went past that, so it was stopped", (string?)status["message"], StringComparison.Ordinal);
        Portal.AssertNothingLeft(id);
    }

    [Fact]
    public async Task Import_FromAServerThatStopsSending_FailsAfterTheStallTimeout()
    {
        var id = await Portal.CreateImageAsync();

        var status = await ImportUntilSettledAsync(id, new Uri(Server.V4, "/stall").ToString());

        Assert.Equal("failed", (string?)status["phase"]);
        Assert.Contains($"No data arrived for {ImportFixture.StallSeconds} seconds", (string?)status["message"], StringComparison.Ordinal);
        Portal.AssertNothingLeft(id);
    }

    [Fact]
    public async Task Import_OfAMissingFile_FailsSayingWhatTheServerAnswered()
    {
        var id = await Portal.CreateImageAsync();

        var status = await ImportUntilSettledAsync(id, new Uri(Server.V4, "/file/nothing-here").ToString());

        Assert.Equal("failed", (string?)status["phase"]);
        Assert.Contains("answered 404", (string?)status["message"], StringComparison.Ordinal);
        Portal.AssertNothingLeft(id);
    }

    [Fact]
    public async Task Delete_CancelsARunningImport_RemovesWhatArrived_AndTheImageAwaitsContent()
    {
        var id = await Portal.CreateImageAsync();
        var url = new Uri(Server.V4, "/trickle").ToString();
        var (response, _) = await ImportAsync(id, url);
        response.Dispose();
        await Portal.WaitForStatusAsync(id, s => (long?)s["bytesReceived"] > 0, "to receive something");

        // One transfer at a time: an upload or a second import now is refused.
        using (var upload = await Portal.PutBytesAsync(id, [1, 2, 3]))
        {
            await ApiClient.AssertProblemAsync(upload, HttpStatusCode.Conflict, "being imported");
        }
        var (second, _) = await ImportAsync(id, url);
        using (second)
        {
            await ApiClient.AssertProblemAsync(second, HttpStatusCode.Conflict, "being imported");
        }
        using (var head = await Portal.HeadAsync(id))
        {
            Assert.Equal(HttpStatusCode.Conflict, head.StatusCode);
            Assert.Equal("downloading", head.Headers.GetValues("X-Image-Phase").Single());
        }

        using (var delete = await Portal.Http.DeleteAsync($"/api/v1/images/{id}/content"))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        var status = await Portal.StatusAsync(id);
        Assert.Equal("awaiting-content", (string?)status["phase"]);
        Assert.Contains("import from " + url + " was cancelled", (string?)status["message"], StringComparison.Ordinal);
        Portal.AssertNothingLeft(id);
        await Task.Delay(300);
        Assert.Equal("awaiting-content", await Portal.PhaseAsync(id));
        Assert.DoesNotContain(id, Portal.Pipeline.Calls);
    }

    [Theory]
    [InlineData("{}", "url", "Give the URL")]
    [InlineData("{\"url\": 5}", "url", "Give the URL")]
    [InlineData("{\"url\": \"http://example.com/x\", \"sha256\": \"abc\"}", "sha256", "64 characters")]
    [InlineData("{\"url\": \"http://example.com/x\", \"checksum\": \"abc\"}", "checksum", "not known")]
    [InlineData("{\"url\": \"not a url\"}", "url", "not an absolute URL")]
    public async Task Import_WithABadBody_Is422_AndChangesNothing(string body, string field, string says)
    {
        var id = await Portal.CreateImageAsync();

        using var response = await Portal.Http.PostAsync($"/api/v1/images/{id}/import", ApiClient.Raw(body));

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, says);
        Assert.NotNull(problem["errors"]![field]);
        Assert.Equal("awaiting-content", await Portal.PhaseAsync(id));
    }

    [Fact]
    public async Task Import_IntoAnImageThatHasItsContent_Is409()
    {
        var id = await Portal.CreateImageAsync();
        using (var put = await Portal.PutBytesAsync(id, ImagePortal.RandomBytes(1000)))
        {
            Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        }

        var (response, _) = await ImportAsync(id, new Uri(Server.V4, "/file/x").ToString());

        using (response)
        {
            await ApiClient.AssertProblemAsync(response, HttpStatusCode.Conflict, "being checked");
        }
    }
}
