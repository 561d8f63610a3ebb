using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using KrautPortal.Features.Images;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Images;

/// <summary>
/// The image record around the pipeline: the attributes the wizard relies on are validated with the field named,
/// and an image VMs still use cannot be deleted from under them.
/// </summary>
public sealed class ImageRecordTests(PipelineFixture fixture) : IClassFixture<PipelineFixture>, IDisposable
{
    private readonly KrautAppFactory _app = fixture.App;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("architecture", "\"sparc\"", "spec.architecture", "Unknown architecture 'sparc'")]
    [InlineData("minMemoryMiB", "-1", "spec.minMemoryMiB", "Must be between 0 and")]
    [InlineData("minDiskGiB", "65537", "spec.minDiskGiB", "Must be between 0 and 65536")]
    [InlineData("osName", "\"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789x\"", "spec.osName", "At most 100 characters")]
    [InlineData("firmware", "\"coreboot\"", "spec.firmware", "")]
    [InlineData("minMemoryMiB", "\"lots\"", "spec.minMemoryMiB", "")]
    public async Task CreateImage_WithABadAttribute_Returns422NamingTheField_AndStoresNothing(string field, string value, string path, string message)
    {
        using var client = _app.CreateClient();
        var name = "bad-" + Guid.NewGuid().ToString("N")[..8];
        var body = new JsonObject { ["name"] = name, ["spec"] = new JsonObject { [field] = JsonNode.Parse(value) } };

        using var response = await client.PostAsJsonAsync("/api/v1/images", body);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        var errors = problem["errors"]![path]!.AsArray();
        Assert.Contains(errors, e => ((string)e!).Contains(message, StringComparison.Ordinal));
        var list = JsonNode.Parse(await client.GetStringAsync("/api/v1/images"))!;
        Assert.DoesNotContain(list["items"]!.AsArray(), i => (string?)i!["name"] == name);
    }

    [Fact]
    public async Task CreateImage_WithEveryAttribute_KeepsThemAsGiven()
    {
        var id = await ImageArrival.CreateRecordAsync(_app, "attributes", new JsonObject
        {
            ["architecture"] = "aarch64",
            ["osName"] = "Debian 13",
            ["minMemoryMiB"] = 1024,
            ["minDiskGiB"] = 8,
            ["firmware"] = "uefi",
        });

        using var client = _app.CreateClient();
        var spec = JsonNode.Parse(await client.GetStringAsync($"/api/v1/images/{id}"))!["spec"]!;
        Assert.Equal(("aarch64", "Debian 13", 1024, 8, "uefi"),
            ((string)spec["architecture"]!, (string)spec["osName"]!, (int)spec["minMemoryMiB"]!, (int)spec["minDiskGiB"]!, (string)spec["firmware"]!));
    }

    [Fact]
    public async Task ImageUsedByVms_CannotBeDeleted_TheErrorListsThem_AndOnceTheyAreGoneItCan()
    {
        var imageId = await ImageArrival.ArriveAsync(_app, "in-use", TestImages.Guest(_dir, "qcow2"));
        await ImageArrival.ReadyAsync(_app, imageId);
        var first = await ImageVms.CreateAsync(_app, "user-b", imageId);
        var second = await ImageVms.CreateAsync(_app, "user-a", imageId);
        var stored = _app.Service<ImageStorage>().PathFor(imageId, ImageFormat.Qcow2);
        using var client = _app.CreateClient();

        using (var refused = await client.DeleteAsync($"/api/v1/images/{imageId}"))
        {
            await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Conflict, "Image 'in-use' is used by 2 VMs: user-a, user-b. Delete those VMs first.");
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/images/{imageId}")).StatusCode);
        Assert.True(File.Exists(stored));

        foreach (var vm in new[] { first, second })
        {
            using var deleted = await client.DeleteAsync($"/api/v1/vms/{vm}");
            Assert.True(deleted.IsSuccessStatusCode, $"deleting VM gave {deleted.StatusCode}");
            await Eventually.WaitUntilAsync(async () => (await client.GetAsync($"/api/v1/vms/{vm}")).StatusCode == HttpStatusCode.NotFound,
                TimeSpan.FromSeconds(30), $"VM {vm} to be deleted");
        }

        using (var allowed = await client.DeleteAsync($"/api/v1/images/{imageId}"))
        {
            Assert.True(allowed.IsSuccessStatusCode, $"deleting the unused image gave {allowed.StatusCode}: {await allowed.Content.ReadAsStringAsync()}");
        }
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/images/{imageId}")).StatusCode);
        await Eventually.WaitUntilAsync(() => !File.Exists(stored), TimeSpan.FromSeconds(10), "the image's content to be removed");
    }
}
