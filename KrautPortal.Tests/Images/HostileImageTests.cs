using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using KrautPortal.Features.Images;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Images;

/// <summary>One portal (libvirt's test driver) for the hostile corpus: refusals need no real guest.</summary>
public sealed class HostileFixture : IDisposable
{
    public KrautAppFactory App { get; } = new();

    public void Dispose() => App.Dispose();
}

/// <summary>
/// A corpus of hostile images, each made here with qemu-img or byte by byte, each pointing at a "host secret" in a
/// temporary directory. Every one must be refused with its reason, leave no content behind, and the secret must
/// never be opened: an inotify watch on it sees every open and read by any process. The control at the end of each
/// case runs plain qemu-img on the same file and shows the watch does see the open the pipeline prevented.
/// </summary>
public sealed class HostileImageTests(HostileFixture fixture) : IClassFixture<HostileFixture>, IDisposable
{
    private readonly KrautAppFactory _app = fixture.App;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Qcow2WithBackingFile_OnAHostFile_IsRefused_AndTheFileIsNeverOpened()
    {
        var secret = TestImages.Secret(_dir);
        var image = _dir["overlay.qcow2"];
        TestImages.QemuImg("create", "-q", "-f", "qcow2", "-F", "raw", "-b", secret, image, "1M");

        var status = await RefusedWithoutTouchingAsync(image, secret, "qcow2-backing");

        Assert.Contains($"an overlay on a backing file ('{secret}'), which would be read from this host", status.Message);
        ControlOpens(secret, "convert", "-f", "qcow2", "-O", "raw", image, _dir["control.raw"]);
    }

    [Fact]
    public async Task Qcow2WithExternalDataFile_IsRefused_AndTheDataFileIsNeverOpened()
    {
        var secret = _dir["shadow-as-data"];
        var image = _dir["data.qcow2"];
        TestImages.QemuImg("create", "-q", "-f", "qcow2", "-o", "data_file=" + secret, image, "1M");
        TestImages.Patch(secret, 0, TestImages.Ascii("root:$6$secret"));

        var status = await RefusedWithoutTouchingAsync(image, secret, "qcow2-data-file");

        Assert.Contains($"keeps its data in an external file ('{secret}')", status.Message);
        ControlOpens(secret, "convert", "-f", "qcow2", "-O", "raw", image, _dir["control.raw"]);
    }

    [Fact]
    public async Task VmdkDescriptor_WithAnExtentOutside_IsRefused_AndTheExtentIsNeverOpened()
    {
        var secret = TestImages.Secret(_dir, "passwd");
        var image = _dir["disk.vmdk"];
        File.WriteAllText(image, $"# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\n\nRW 2048 FLAT \"{secret}\" 0\n");

        var status = await RefusedWithoutTouchingAsync(image, secret, "vmdk-descriptor");

        Assert.StartsWith("This is a VMDK descriptor", status.Message, StringComparison.Ordinal);
        ControlOpens(secret, "info", "-f", "vmdk", image);
    }

    [Fact]
    public async Task SparseVmdkWithoutCapacity_WhoseEmbeddedDescriptorNamesAHostFile_IsRefused_Cve2024_32498()
    {
        var secret = TestImages.Secret(_dir);
        var image = TestImages.Guest(_dir, "vmdk");
        TestImages.Patch(image, 12, new byte[8]); // capacity 0: qemu then reads the embedded descriptor as a descriptor file
        TestImages.Patch(image, 512, TestImages.Ascii($"# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\n\nRW 2048 FLAT \"{secret}\" 0\n\n\0"));

        var status = await RefusedWithoutTouchingAsync(image, secret, "vmdk-no-capacity");

        Assert.Contains("declares no capacity", status.Message);
        ControlOpens(secret, "info", "-f", "vmdk", image);
    }

    [Fact]
    public async Task SparseVmdkWithParentHint_OnAHostFile_IsRefused_AndTheParentIsNeverOpened()
    {
        var secret = TestImages.Secret(_dir);
        var image = TestImages.Guest(_dir, "vmdk");
        TestImages.Patch(image, 512, TestImages.Ascii($"# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=12345678\nparentFileNameHint=\"{secret}\"\ncreateType=\"monolithicSparse\"\n\0"));

        var status = await RefusedWithoutTouchingAsync(image, secret, "vmdk-parent");

        Assert.Contains($"a delta disk on a parent ('{secret}')", status.Message);
        ControlOpens(secret, "convert", "-f", "vmdk", "-O", "raw", image, _dir["control.raw"]);
    }

    [Fact]
    public async Task AbsurdVirtualSize_IsRefusedWithBothSizes()
    {
        var image = _dir["huge.qcow2"];
        TestImages.QemuImg("create", "-q", "-f", "qcow2", image, "512T");

        var status = await RefusedAsync(image, "huge");

        Assert.Equal("The image claims a 512 TiB disk; the limit is 2 TiB.", status.Message);
    }

    [Fact]
    public async Task AbsurdVirtualSize_InAnotherFormat_IsRefusedToo()
    {
        var image = _dir["huge.vhdx"];
        TestImages.QemuImg("create", "-q", "-f", "vhdx", image, "3T");

        var status = await RefusedAsync(image, "huge-vhdx");

        Assert.Equal("The image claims a 3 TiB disk; the limit is 2 TiB.", status.Message);
    }

    [Fact]
    public async Task TruncatedQcow2Header_IsRefusedAsCutShort()
    {
        var image = _dir["cut.qcow2"];
        TestImages.QemuImg("create", "-q", "-f", "qcow2", image, "1G");
        File.WriteAllBytes(image, File.ReadAllBytes(image)[..100]);

        var status = await RefusedAsync(image, "truncated");

        Assert.Equal("The qcow2 header is cut short: the file has 100 bytes where the header alone needs 104. The upload may be incomplete.", status.Message);
    }

    [Fact]
    public async Task GarbageClaimingToBeVhdx_IsRefusedWithQemusReason()
    {
        var image = _dir["garbage.vhdx"];
        File.WriteAllBytes(image, [.. TestImages.Ascii("vhdxfile"), .. Noise(256 * 1024)]);

        var status = await RefusedAsync(image, "garbage-vhdx");

        Assert.Equal("The content looks like a vhdx image but cannot be read: No valid VHDX header found.", status.Message);
    }

    [Fact]
    public async Task GarbageClaimingToBeVdi_IsRefusedWithQemusReason()
    {
        var bytes = Noise(256 * 1024);
        bytes[0] = 0;
        BitConverter.GetBytes(0xbeda107fu).CopyTo(bytes, 0x40);
        var image = _dir["garbage.vdi"];
        File.WriteAllBytes(image, bytes);

        var status = await RefusedAsync(image, "garbage-vdi");

        Assert.StartsWith("The content looks like a vdi image but cannot be read: ", status.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_app.DataDirectory, status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusedImage_CannotBeUsedForAVm()
    {
        var image = _dir["huge.qcow2"];
        TestImages.QemuImg("create", "-q", "-f", "qcow2", image, "512T");
        var id = await ImageArrival.ArriveAsync(_app, "refused-for-vm", image);
        await ImageArrival.RefusedAsync(_app, id);

        using var client = _app.CreateClient();
        var response = await client.PostAsJsonAsync("/api/v1/vms", new JsonObject
        {
            ["name"] = "from-refused",
            ["spec"] = new JsonObject { ["imageId"] = id.ToString(), ["machineTypeId"] = (await _app.IdOfAsync("machine-types", "small")).ToString() },
        });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("is not ready yet (it is Failed)", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>Pushes <paramref name="image"/> through the pipeline with a watch on <paramref name="secret"/>.</summary>
    private async Task<ImageStatus> RefusedWithoutTouchingAsync(string image, string secret, string name)
    {
        using var watch = new OpenWatch(secret);
        var status = await RefusedAsync(image, name);
        Assert.Equal((0, 0), watch.Take());
        return status;
    }

    private async Task<ImageStatus> RefusedAsync(string image, string name)
    {
        var id = await ImageArrival.ArriveAsync(_app, name, image);
        var status = await ImageArrival.RefusedAsync(_app, id);
        Assert.False(string.IsNullOrWhiteSpace(status.Message));
        Assert.NotNull(status.PhaseStartedAt);
        AssertNoContent(id);
        return status;
    }

    /// <summary>Nothing of a refused image stays: not the upload, not a half conversion, nothing a VM could read.</summary>
    private void AssertNoContent(Guid id)
    {
        var storage = _app.Service<ImageStorage>();
        string[] paths = [storage.ArrivedPath(id), storage.WorkPath(id), .. Enum.GetValues<ImageFormat>().Select(f => storage.PathFor(id, f))];
        Assert.All(paths, p => Assert.False(File.Exists(p), $"{p} should not exist"));
    }

    /// <summary>The control: qemu-img without Kraut's checks does open the secret, and the watch sees it.</summary>
    private static void ControlOpens(string secret, params string[] qemuImgArgs)
    {
        using var watch = new OpenWatch(secret);
        Tool.Try("qemu-img", qemuImgArgs);
        Assert.True(watch.Take().Opens > 0, $"qemu-img {string.Join(' ', qemuImgArgs)} should have opened {secret}");
    }

    private static byte[] Noise(int length)
    {
        var bytes = new byte[length];
        new Random(7).NextBytes(bytes);
        return bytes;
    }
}
