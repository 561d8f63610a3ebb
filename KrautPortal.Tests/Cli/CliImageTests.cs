using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Cli;

/// <summary><c>kraut image upload</c>: a real qcow2 to ready, an upload cut midway and resumed, bad input refused.</summary>
[Collection(CliCollection.Name)]
public sealed class CliImageTests(CliPortal portal) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kraut-cli-image-").FullName;

    /// <summary>A small qcow2 made by qemu-img; metadata preallocation gives it a few MiB to cut in the middle of.</summary>
    private string Qcow2(string name, string size = "16M")
    {
        var qemuImg = Tool.PackagedFile("/usr/bin/qemu-img", "qemu-utils");
        var path = Path.Combine(_dir, name);
        Tool.Run(qemuImg, "create", "-q", "-f", "qcow2", "-o", "preallocation=metadata", path, size);
        return path;
    }

    private static string Sha256(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));

    [Fact]
    public async Task Upload_OfAQcow2_WithWait_EndsReady_WithTheFilesChecksum()
    {
        var file = Qcow2("disk.qcow2");
        var name = ApiClient.UniqueName("upload");
        try
        {
            var run = await portal.ExpectAsync(0, "image", "upload", file, "--name", name, "--format", "qcow2", "--wait", "--timeout", "60s", "-o", "json");
            var image = JsonNode.Parse(run.Out)!;
            Assert.Equal("ready", (string?)image["status"]!["phase"]);
            Assert.Equal("qcow2", (string?)image["status"]!["sourceFormat"]);
            Assert.Equal(Sha256(file), (string?)image["status"]!["sha256"]);
            // Not a terminal: progress as plain lines on standard error, ending at the whole size.
            Assert.Contains("(100%)", run.Err, StringComparison.Ordinal);
        }
        finally
        {
            await portal.RunAsync("image", "delete", name, "--yes");
        }
    }

    [Fact]
    public async Task Upload_CutMidway_ThenRunAgain_ContinuesFromThePortalsOffset_ToReady()
    {
        var file = Qcow2("cut.qcow2");
        var size = new FileInfo(file).Length;
        var name = ApiClient.UniqueName("cut");
        try
        {
            var cut = await portal.ExpectAsync(1, "image", "upload", file, "--name", name, "--stop-after-bytes", (size / 2).ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Contains("broke off", cut.Err, StringComparison.Ordinal);
            Assert.Contains("Run the same command again", cut.Err, StringComparison.Ordinal);

            var id = (string)JsonNode.Parse((await portal.ExpectAsync(0, "image", "get", name, "-o", "json")).Out)!["id"]!;
            // The portal notes the break when its side of the request ends: until then the upload still holds the image.
            var held = await HeldAfterBreakAsync(id);
            Assert.InRange(held, 1, size - 1);

            var resumed = await portal.ExpectAsync(0, "image", "upload", file, "--name", name, "--wait", "--timeout", "60s", "-o", "json");
            Assert.Contains($"Continuing the upload to image {name} ({id})", resumed.Err, StringComparison.Ordinal);
            var image = JsonNode.Parse(resumed.Out)!;
            Assert.Equal(id, (string?)image["id"]);
            Assert.Equal("ready", (string?)image["status"]!["phase"]);
            Assert.Equal(Sha256(file), (string?)image["status"]!["sha256"]);
        }
        finally
        {
            await portal.RunAsync("image", "delete", name, "--yes");
        }
    }

    private async Task<long> HeldAfterBreakAsync(string id)
    {
        using var http = new HttpClient { BaseAddress = portal.BaseAddress };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", TestCredentials.GodHeader);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var image = JsonNode.Parse(await http.GetStringAsync($"/api/v1/images/{id}"))!;
            if (((string?)image["status"]!["message"])?.Contains("broke off", StringComparison.Ordinal) == true)
            {
                using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/v1/images/{id}/content"));
                return long.Parse(head.Headers.GetValues("X-Bytes-Received").Single(), System.Globalization.CultureInfo.InvariantCulture);
            }
            Assert.True(DateTime.UtcNow < deadline, "the portal never noted the broken upload: " + image.ToJsonString());
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Upload_BadInput_SaysWhy_WithUsageOrConflictExit()
    {
        var missing = await portal.ExpectAsync(2, "image", "upload", Path.Combine(_dir, "nope.qcow2"), "--name", "x");
        Assert.Contains("There is no file", missing.Err, StringComparison.Ordinal);

        var notQcow2 = Path.Combine(_dir, "junk.bin");
        await File.WriteAllBytesAsync(notQcow2, new byte[4096]);
        var wrongFormat = await portal.ExpectAsync(2, "image", "upload", notQcow2, "--name", "x", "--format", "qcow2");
        Assert.Contains("not qcow2", wrongFormat.Err, StringComparison.Ordinal);

        // The seeded image is ready: its name cannot take an upload.
        var taken = await portal.ExpectAsync(4, "image", "upload", notQcow2, "--name", "kraut-test-guest");
        Assert.Contains("exists already", taken.Err, StringComparison.Ordinal);

        // A loopback URL is refused (the portal must not fetch from itself); no empty image stays under that name.
        var importName = ApiClient.UniqueName("imp");
        var refused = await portal.ExpectAsync(2, "image", "import", "http://127.0.0.1/disk.qcow2", "--name", importName);
        Assert.StartsWith("Error: ", refused.Err, StringComparison.Ordinal);
        await portal.ExpectAsync(3, "image", "get", importName);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
