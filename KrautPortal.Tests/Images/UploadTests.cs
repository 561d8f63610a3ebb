using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using KrautPortal.Features.Images.Upload;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;

namespace KrautPortal.Tests.Images;

/// <summary>PUT, HEAD and DELETE of image content: whole or in parts, checked, cut off and resumed, cancelled, swept.</summary>
public sealed class UploadTests(ImagePortal portal) : IClassFixture<ImagePortal>
{
    private const int MiB = 1 << 20;

    [Fact]
    public async Task Put_WholeContent_Is202_Checking_WithItsSha256_StoredAsArrived_AndHandedToThePipeline()
    {
        var id = await portal.CreateImageAsync();
        var bytes = ImagePortal.RandomBytes(3 * MiB + 17);

        using var response = await portal.PutBytesAsync(id, bytes);

        var json = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {json.ToJsonString()}");
        var status = json["status"]!;
        Assert.Equal("checking", (string?)status["phase"]);
        Assert.Equal(ImagePortal.Sha256(bytes), (string?)status["sha256"]);
        Assert.Equal(bytes.Length, (long)status["bytesReceived"]!);
        Assert.Equal($"/api/v1/images/{id}", response.Headers.Location?.ToString());
        Assert.Equal(bytes, await File.ReadAllBytesAsync(portal.Files.ArrivedPath(id)));
        Assert.False(File.Exists(portal.Files.PartPath(id)));
        Assert.Single(portal.Pipeline.Calls, c => c == id);
        Assert.Equal("checking", await portal.PhaseAsync(id));
    }

    [Fact]
    public async Task Put_ContentWithRunsOfZeros_IsStoredByteForByte_WithTheZerosAsHoles()
    {
        var id = await portal.CreateImageAsync();
        // Data, 4 MiB of zeros, data, and zeros to the end: a hole in the middle and one at the end.
        var bytes = new byte[8 * MiB];
        ImagePortal.RandomBytes(MiB + 5).CopyTo(bytes, 0);
        ImagePortal.RandomBytes(100_000).CopyTo(bytes, 6 * MiB);

        using var response = await portal.PutBytesAsync(id, bytes);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var arrived = portal.Files.ArrivedPath(id);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(arrived));
        Assert.Equal(ImagePortal.Sha256(bytes), (string?)(await portal.StatusAsync(id))["sha256"]);
        var allocated = long.Parse(Tool.Run("du", "--block-size=1", arrived).Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(allocated < 4 * MiB, $"{allocated} bytes are allocated for 1.1 MiB of data in 8 MiB: the zeros were written");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Put_WithTheRightChecksum_InTheHeaderOrTheQuery_IsAccepted(bool inHeader)
    {
        var id = await portal.CreateImageAsync();
        var bytes = ImagePortal.RandomBytes(MiB);
        var sha = ImagePortal.Sha256(bytes).ToUpperInvariant();

        using var response = inHeader ? await portal.PutBytesAsync(id, bytes, sha256Header: sha) : await portal.PutBytesAsync(id, bytes, query: "?sha256=" + sha);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(sha.ToLowerInvariant(), (string?)(await portal.StatusAsync(id))["sha256"]);
    }

    [Fact]
    public async Task Put_WithAWrongChecksum_Is422NamingBoth_LeavesNothing_AndTheImageFailedSayingWhy()
    {
        var id = await portal.CreateImageAsync();
        var bytes = ImagePortal.RandomBytes(2 * MiB);
        var actual = ImagePortal.Sha256(bytes);
        var wrong = ImagePortal.Sha256([1, 2, 3]);

        using var response = await portal.PutBytesAsync(id, bytes, sha256Header: wrong);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, actual, wrong);
        Assert.Equal(wrong, (string?)problem["expectedSha256"]);
        Assert.Equal(actual, (string?)problem["actualSha256"]);
        portal.AssertNothingLeft(id);
        var status = await portal.StatusAsync(id);
        Assert.Equal("failed", (string?)status["phase"]);
        Assert.Contains(wrong, (string?)status["message"], StringComparison.Ordinal);
        Assert.Null(status["sha256"]);
        Assert.DoesNotContain(id, portal.Pipeline.Calls);

        // Failed is not the end: the right content is taken.
        using var again = await portal.PutBytesAsync(id, bytes, sha256Header: actual);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
    }

    [Fact]
    public async Task Put_InThreeParts_WithContentRange_Is200Twice_Then202_WithTheWholeContentsSha256()
    {
        var id = await portal.CreateImageAsync();
        var bytes = ImagePortal.RandomBytes(5 * MiB + 3);
        long[] starts = [0, 2 * MiB, 4 * MiB];

        for (var i = 0; i < starts.Length; i++)
        {
            var end = i + 1 < starts.Length ? starts[i + 1] - 1 : bytes.Length - 1;
            using var response = await portal.PutAsync(id, new ByteArrayContent(bytes[(int)starts[i]..(int)(end + 1)]),
                range: new ContentRangeHeaderValue(starts[i], end, bytes.Length));
            var json = await ApiClient.ReadAsync(response);
            var status = json["status"]!;
            Assert.Equal(end + 1, (long)status["bytesReceived"]!);
            Assert.Equal(end + 1, ImagePortal.BytesReceived(response));
            if (i < starts.Length - 1)
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToJsonString());
                Assert.Equal("uploading", (string?)status["phase"]);
                Assert.Equal(bytes.Length, (long)status["bytesExpected"]!);
                Assert.Equal(Math.Round(100.0 * (end + 1) / bytes.Length, 1), (double)status["progress"]!);
                using var head = await portal.HeadAsync(id);
                Assert.Equal(HttpStatusCode.OK, head.StatusCode);
                Assert.Equal(end + 1, ImagePortal.BytesReceived(head));
                Assert.Equal(bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), head.Headers.GetValues("X-Bytes-Expected").Single());
                Assert.Equal("uploading", head.Headers.GetValues("X-Image-Phase").Single());
                Assert.DoesNotContain(id, portal.Pipeline.Calls);
            }
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.Accepted, json.ToJsonString());
                Assert.Equal("checking", (string?)status["phase"]);
                Assert.Equal(ImagePortal.Sha256(bytes), (string?)status["sha256"]);
            }
        }
        Assert.Equal(bytes, await File.ReadAllBytesAsync(portal.Files.ArrivedPath(id)));
        Assert.Single(portal.Pipeline.Calls, c => c == id);
    }

    [Fact]
    public async Task Put_ChecksumSentWithTheFirstPartOnly_IsCheckedWhenTheLastPartArrives()
    {
        var id = await portal.CreateImageAsync();
        var bytes = ImagePortal.RandomBytes(2 * MiB);
        var wrong = ImagePortal.Sha256(bytes[..MiB]);

        using (var first = await portal.PutAsync(id, new ByteArrayContent(bytes[..MiB]), sha256Header: wrong,
            range: new ContentRangeHeaderValue(0, MiB - 1, bytes.Length)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        using var last = await portal.PutAsync(id, new ByteArrayContent(bytes[MiB..]), range: new ContentRangeHeaderValue(MiB, bytes.Length - 1, bytes.Length));

        await ApiClient.AssertProblemAsync(last, HttpStatusCode.UnprocessableEntity, wrong, ImagePortal.Sha256(bytes));
        portal.AssertNothingLeft(id);
        Assert.Equal("failed", await portal.PhaseAsync(id));
    }

    [Fact]
    public async Task Put_ResumingAtTheWrongOffset_Is409_SayingWhereToContinue_AndKeepsThePart()
    {
        var id = await portal.CreateImageAsync();
        var bytes = ImagePortal.RandomBytes(3 * MiB);
        using (var first = await portal.PutAsync(id, new ByteArrayContent(bytes[..MiB]), range: new ContentRangeHeaderValue(0, MiB - 1, bytes.Length)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using var skipping = await portal.PutAsync(id, new ByteArrayContent(bytes[(2 * MiB)..]),
            range: new ContentRangeHeaderValue(2 * MiB, bytes.Length - 1, bytes.Length));

        var problem = await ApiClient.AssertProblemAsync(skipping, HttpStatusCode.Conflict, "byte 1048576", "starts at byte 2097152");
        Assert.Equal(MiB, (long)problem["bytesReceived"]!);
        Assert.Equal(MiB, ImagePortal.BytesReceived(skipping));
        Assert.Equal(MiB, portal.Files.PartLength(id));
        Assert.Equal("uploading", await portal.PhaseAsync(id));
    }

    [Fact]
    public async Task Put_CutOffMidway_KeepsWhatArrived_AndContentRangeResumesIt_ToTheWholeContentsSha256()
    {
        var id = await portal.CreateImageAsync();
        var bytes = ImagePortal.RandomBytes(8 * MiB + 300_000);
        var stream = new ControlledStream(bytes, pauseAfter: 6 * MiB + 300_000);
        var content = new StreamContent(stream);
        content.Headers.ContentLength = bytes.Length;
        using var cut = new CancellationTokenSource();

        var put = portal.PutAsync(id, content, ct: cut.Token);
        await stream.ReachedPause.WaitAsync(TimeSpan.FromSeconds(20));
        await Eventually.WaitUntilAsync(() => portal.Files.PartLength(id) >= 6 * MiB, TimeSpan.FromSeconds(20), "6 MiB to be stored");
        await cut.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => put);

        var status = await portal.WaitForStatusAsync(id, s => ((string?)s["message"])?.Contains("broke off", StringComparison.Ordinal) == true,
            "to notice that the client left");
        Assert.Equal("uploading", (string?)status["phase"]);
        Assert.Equal(bytes.Length, (long)status["bytesExpected"]!);
        using var head = await portal.HeadAsync(id);
        var offset = ImagePortal.BytesReceived(head);
        Assert.InRange(offset, 6 * MiB, 6 * MiB + 300_000);
        Assert.Equal(offset, (long)status["bytesReceived"]!);
        Assert.Equal(offset, portal.Files.PartLength(id));
        Assert.DoesNotContain(id, portal.Pipeline.Calls);

        using var resumed = await portal.PutAsync(id, new ByteArrayContent(bytes[(int)offset..]),
            range: new ContentRangeHeaderValue(offset, bytes.Length - 1, bytes.Length));

        var json = await ApiClient.ReadAsync(resumed);
        Assert.True(resumed.StatusCode == HttpStatusCode.Accepted, json.ToJsonString());
        Assert.Equal(ImagePortal.Sha256(bytes), (string?)json["status"]!["sha256"]);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(portal.Files.ArrivedPath(id)));
        Assert.Single(portal.Pipeline.Calls, c => c == id);
    }

    [Fact]
    public async Task Put_WithoutContentRange_StartsOver_DroppingAnEarlierPart()
    {
        var id = await portal.CreateImageAsync();
        var old = ImagePortal.RandomBytes(2 * MiB);
        using (var first = await portal.PutAsync(id, new ByteArrayContent(old[..MiB]), range: new ContentRangeHeaderValue(0, MiB - 1, old.Length)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        var bytes = ImagePortal.RandomBytes(MiB / 2);

        using var whole = await portal.PutBytesAsync(id, bytes);

        Assert.Equal(HttpStatusCode.Accepted, whole.StatusCode);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(portal.Files.ArrivedPath(id)));
        Assert.Equal(ImagePortal.Sha256(bytes), (string?)(await portal.StatusAsync(id))["sha256"]);
    }

    [Fact]
    public async Task Delete_StopsAnUploadInFlight_RemovesWhatArrived_AndTheImageAwaitsContentAgain()
    {
        var id = await portal.CreateImageAsync();
        var bytes = ImagePortal.RandomBytes(4 * MiB);
        var stream = new ControlledStream(bytes, pauseAfter: 2 * MiB + 100_000);
        var content = new StreamContent(stream);
        content.Headers.ContentLength = bytes.Length;
        var put = portal.PutAsync(id, content);
        await stream.ReachedPause.WaitAsync(TimeSpan.FromSeconds(20));
        await Eventually.WaitUntilAsync(() => portal.Files.PartLength(id) >= 2 * MiB, TimeSpan.FromSeconds(20), "2 MiB to be stored");

        using (var second = await portal.PutBytesAsync(id, ImagePortal.RandomBytes(1000)))
        {
            await ApiClient.AssertProblemAsync(second, HttpStatusCode.Conflict, "Another upload");
        }
        using (var delete = await portal.Http.DeleteAsync($"/api/v1/images/{id}/content"))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        portal.AssertNothingLeft(id);
        var status = await portal.StatusAsync(id);
        Assert.Equal("awaiting-content", (string?)status["phase"]);
        Assert.Contains("upload was cancelled", (string?)status["message"], StringComparison.Ordinal);
        stream.Resume();
        try
        {
            using var first = await put;
            await ApiClient.AssertProblemAsync(first, HttpStatusCode.Conflict, "cancelled");
        }
        catch (HttpRequestException)
        {
            // The server may close the connection before the client has sent everything; either way it stopped.
        }
        portal.AssertNothingLeft(id);
        Assert.DoesNotContain(id, portal.Pipeline.Calls);

        // On a new connection: the cancelled upload's server side closes connections the client's pool may still
        // hold, and a write into one of those is the client's broken pipe, not the server refusing content.
        using var fresh = portal.App.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = portal.Http.BaseAddress!, HandleCookies = false });
        using var again = await fresh.PutAsync($"/api/v1/images/{id}/content", new ByteArrayContent(bytes));
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
    }

    [Fact]
    public async Task Delete_OfAnInterruptedUpload_RemovesItsPartAndChecksum_AndIsIdempotent()
    {
        var id = await portal.CreateImageAsync();
        var bytes = ImagePortal.RandomBytes(2 * MiB);
        using (var first = await portal.PutAsync(id, new ByteArrayContent(bytes[..MiB]), sha256Header: ImagePortal.Sha256(bytes),
            range: new ContentRangeHeaderValue(0, MiB - 1, bytes.Length)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        Assert.True(File.Exists(portal.Files.PartPath(id)));
        Assert.True(File.Exists(portal.Files.ExpectedPath(id)));

        for (var i = 0; i < 2; i++)
        {
            using var delete = await portal.Http.DeleteAsync($"/api/v1/images/{id}/content");
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        portal.AssertNothingLeft(id);
        Assert.Equal("awaiting-content", await portal.PhaseAsync(id));
        using var head = await portal.HeadAsync(id);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(0, ImagePortal.BytesReceived(head));
    }

    [Fact]
    public async Task ContentThatArrived_CannotBeUploadedAgainOrCancelled_409_AndHeadSaysSo()
    {
        var id = await portal.CreateImageAsync();
        var bytes = ImagePortal.RandomBytes(MiB);
        using (var put = await portal.PutBytesAsync(id, bytes))
        {
            Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        }

        using var again = await portal.PutBytesAsync(id, bytes);
        await ApiClient.AssertProblemAsync(again, HttpStatusCode.Conflict, "being checked");
        using var delete = await portal.Http.DeleteAsync($"/api/v1/images/{id}/content");
        await ApiClient.AssertProblemAsync(delete, HttpStatusCode.Conflict, "being checked");
        using var head = await portal.HeadAsync(id);
        Assert.Equal(HttpStatusCode.Conflict, head.StatusCode);
        Assert.Equal("checking", head.Headers.GetValues("X-Image-Phase").Single());
        Assert.Equal(bytes.Length, ImagePortal.BytesReceived(head));
        Assert.True(File.Exists(portal.Files.ArrivedPath(id)), "the arrived content must stay for the pipeline");

        var ready = await portal.App.IdOfAsync("images", "kraut-test-guest");
        using var toReady = await portal.PutBytesAsync(ready, bytes);
        await ApiClient.AssertProblemAsync(toReady, HttpStatusCode.Conflict, "is ready");
    }

    [Fact]
    public async Task ContentOfAnImageThatDoesNotExist_Is404()
    {
        var missing = Guid.NewGuid();

        using var put = await portal.PutBytesAsync(missing, [1, 2, 3]);
        await ApiClient.AssertProblemAsync(put, HttpStatusCode.NotFound, missing.ToString());
        using var head = await portal.HeadAsync(missing);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        using var delete = await portal.Http.DeleteAsync($"/api/v1/images/{missing}/content");
        await ApiClient.AssertProblemAsync(delete, HttpStatusCode.NotFound, missing.ToString());
        Assert.False(File.Exists(portal.Files.PartPath(missing)));
    }

    [Theory]
    [InlineData("bytes 0-9/*", "whole size")]
    [InlineData("bytes 5-2/10", "whole size")]
    [InlineData("items 0-9/10", "whole size")]
    [InlineData("bytes 0-99/100", "names 100 bytes, but Content-Length says 10")]
    public async Task Put_WithAMalformedContentRange_Is400_AndChangesNothing(string range, string says)
    {
        var id = await portal.CreateImageAsync();
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/images/{id}/content") { Content = new ByteArrayContent(new byte[10]) };
        request.Content.Headers.TryAddWithoutValidation("Content-Range", range);

        using var response = await portal.Http.SendAsync(request);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, says);
        portal.AssertNothingLeft(id);
        Assert.Equal("awaiting-content", await portal.PhaseAsync(id));
    }

    [Fact]
    public async Task Put_WithAnEmptyBodyOrABadChecksum_Is400_AndChangesNothing()
    {
        var id = await portal.CreateImageAsync();

        using var empty = await portal.PutBytesAsync(id, []);
        await ApiClient.AssertProblemAsync(empty, HttpStatusCode.BadRequest, "empty");
        using var badSha = await portal.PutBytesAsync(id, [1, 2, 3], sha256Header: "abc");
        await ApiClient.AssertProblemAsync(badSha, HttpStatusCode.BadRequest, "64 characters");
        using var twoShas = await portal.PutBytesAsync(id, [1, 2, 3], sha256Header: new string('a', 64), query: "?sha256=" + new string('b', 64));
        await ApiClient.AssertProblemAsync(twoShas, HttpStatusCode.BadRequest, "send one");

        portal.AssertNothingLeft(id);
        Assert.Equal("awaiting-content", await portal.PhaseAsync(id));
    }

    [Fact]
    public async Task Put_WithATokenThatMayOnlyRead_Is403_WhileHeadIsAllowed()
    {
        var id = await portal.CreateImageAsync();
        using var created = await portal.Http.PostAsync("/api/v1/tokens", ApiClient.Json(new JsonObject
        {
            ["name"] = ApiClient.UniqueName("reader"),
            ["spec"] = new JsonObject
            {
                ["verbs"] = new JsonArray("read"),
                ["kinds"] = new JsonArray("images"),
                ["expiresAt"] = DateTime.UtcNow.AddHours(1).ToString("o"),
            },
        }));
        var token = await ApiClient.ReadAsync(created);
        Assert.True(created.StatusCode == HttpStatusCode.Created, token.ToJsonString());
        using var reader = portal.App.CreateAnonymousClient();
        reader.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + (string?)token["secret"]);

        using var put = await reader.PutAsync($"/api/v1/images/{id}/content", new ByteArrayContent([1, 2, 3]));
        await ApiClient.AssertProblemAsync(put, HttpStatusCode.Forbidden, "may not update images");
        using var head = await reader.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/v1/images/{id}/content"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        portal.AssertNothingLeft(id);
    }

    [Fact]
    public async Task Sweep_RemovesPartialUploadsUntouchedForTooLong_AndKeepsFreshOnes()
    {
        var stale = await portal.CreateImageAsync("stale");
        var fresh = await portal.CreateImageAsync("fresh");
        var bytes = ImagePortal.RandomBytes(2 * MiB);
        foreach (var id in new[] { stale, fresh })
        {
            using var first = await portal.PutAsync(id, new ByteArrayContent(bytes[..MiB]), sha256Header: ImagePortal.Sha256(bytes),
                range: new ContentRangeHeaderValue(0, MiB - 1, bytes.Length));
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        File.SetLastWriteTimeUtc(portal.Files.PartPath(stale), DateTime.UtcNow.AddHours(-25));

        var removed = await portal.App.Service<IncompleteUploadSweeper>().SweepAsync(CancellationToken.None);

        Assert.True(removed >= 1);
        portal.AssertNothingLeft(stale);
        var status = await portal.StatusAsync(stale);
        Assert.Equal("awaiting-content", (string?)status["phase"]);
        Assert.Contains("removed after 24 hours", (string?)status["message"], StringComparison.Ordinal);
        Assert.Equal(MiB, portal.Files.PartLength(fresh));
        Assert.True(File.Exists(portal.Files.ExpectedPath(fresh)));
        Assert.Equal("uploading", await portal.PhaseAsync(fresh));
    }
}
