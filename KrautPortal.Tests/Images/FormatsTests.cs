using System.IO.Compression;
using KrautPortal.Features.Images;
using KrautPortal.Features.Images.Pipeline;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Images;

/// <summary>Format detection from content and the header checks that run before qemu-img, on files made by real tools.</summary>
public sealed class FormatsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ContentKind Detect(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return ContentSniffer.Detect(bytes.AsSpan(0, Math.Min(bytes.Length, ContentSniffer.HeadBytes)));
    }

    [Theory]
    [InlineData("qcow2", ContentKind.Qcow2)]
    [InlineData("raw", ContentKind.Raw)]
    [InlineData("vmdk", ContentKind.VmdkSparse)]
    [InlineData("vhdx", ContentKind.Vhdx)]
    [InlineData("vdi", ContentKind.Vdi)]
    public void EachDiskFormat_IsRecognisedFromItsBytes_NotItsName(string format, ContentKind expected)
    {
        var made = TestImages.Guest(_dir, format);
        // The name lies: every file is called .img, and detection still finds the format.
        var renamed = _dir[$"{format}-in-disguise.img"];
        File.Move(made, renamed);

        Assert.Equal(expected, Detect(renamed));
    }

    [Fact]
    public void Iso9660_IsInstallationMedia_EvenWhenNamedLikeADisk()
    {
        var iso = TestImages.Iso(_dir);
        File.Move(iso, _dir["disk.qcow2"]);

        Assert.Equal(ContentKind.Iso, Detect(_dir["disk.qcow2"]));
        Assert.Equal(SourceFormat.Iso, ContentSniffer.SourceFormatOf(ContentKind.Iso));
    }

    [Fact]
    public void VmdkTextDescriptor_IsRecognisedAndRefusedBeforeAnyToolReadsIt()
    {
        var path = _dir["disk.vmdk"];
        File.WriteAllText(path, "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\nRW 2048 FLAT \"/etc/passwd\" 0\n");

        Assert.Equal(ContentKind.VmdkDescriptor, Detect(path));
        Assert.Contains("names other files", ContentSniffer.RefusalFor(ContentKind.VmdkDescriptor));
        Assert.Null(ContentSniffer.SourceFormatOf(ContentKind.VmdkDescriptor));
    }

    [Fact]
    public void CompressedDisk_IsRefusedWithWhatItIs_InsteadOfBecomingARawDiskThatCannotBoot()
    {
        var raw = TestImages.Guest(_dir, "raw");
        var gz = _dir["guest.raw.gz"];
        using (var output = new GZipStream(File.Create(gz), CompressionLevel.Fastest))
        {
            output.Write(File.ReadAllBytes(raw).AsSpan(0, 1 << 20)); // its head is all detection looks at
        }

        Assert.Equal(ContentKind.Gzip, Detect(gz));
        Assert.Contains("gzip-compressed", ContentSniffer.RefusalFor(ContentKind.Gzip));
    }

    [Fact]
    public void RandomBytes_AreRaw_WhichQemuReadsAsPlainBytes()
    {
        var path = _dir["noise.img"];
        var bytes = new byte[64 * 1024];
        new Random(42).NextBytes(bytes);
        bytes[0] = 0; // not by chance a signature
        File.WriteAllBytes(path, bytes);

        Assert.Equal(ContentKind.Raw, Detect(path));
    }

    [Fact]
    public void Qcow2Header_WithBackingFile_IsRefusedNamingIt()
    {
        var secret = TestImages.Secret(_dir);
        var path = _dir["overlay.qcow2"];
        TestImages.QemuImg("create", "-q", "-f", "qcow2", "-F", "raw", "-b", secret, path, "1M");

        var e = Assert.Throws<ImageRefusedException>(() => CheckQcow2(path));

        Assert.Contains("backing file", e.Message);
        Assert.Contains(secret, e.Message);
    }

    [Fact]
    public void Qcow2Header_WithExternalDataFile_IsRefused()
    {
        var path = _dir["data.qcow2"];
        TestImages.QemuImg("create", "-q", "-f", "qcow2", "-o", "data_file=" + _dir["data.raw"], path, "1M");

        var e = Assert.Throws<ImageRefusedException>(() => CheckQcow2(path));

        Assert.Contains("external file", e.Message);
        Assert.Contains(_dir["data.raw"], e.Message);
    }

    [Fact]
    public void Qcow2Header_CutShort_SaysSo()
    {
        var path = _dir["cut.qcow2"];
        TestImages.QemuImg("create", "-q", "-f", "qcow2", path, "1G");
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..100]);

        var e = Assert.Throws<ImageRefusedException>(() => CheckQcow2(path));

        Assert.Equal("The qcow2 header is cut short: the file has 100 bytes where the header alone needs 104. The upload may be incomplete.", e.Message);
    }

    [Fact]
    public void Qcow2Header_Encrypted_IsRefused()
    {
        // qemu-img create with LUKS benchmarks PBKDF, which fails under load ("Unable to get accurate CPU usage");
        // the check reads only crypt_method, so set it as a LUKS image has it.
        var path = _dir["secret.qcow2"];
        TestImages.QemuImg("create", "-q", "-f", "qcow2", path, "1M");
        TestImages.Patch(path, 32, [0, 0, 0, 2]);

        var e = Assert.Throws<ImageRefusedException>(() => CheckQcow2(path));

        Assert.Contains("encrypted", e.Message);
    }

    [Fact]
    public void Qcow2Header_Plain_Passes()
    {
        CheckQcow2(TestGuest.ImagePath);
    }

    [Fact]
    public void SparseVmdk_WithoutCapacity_IsRefused_BecauseQemuWouldFollowItsEmbeddedDescriptor()
    {
        var path = TestImages.Guest(_dir, "vmdk");
        TestImages.Patch(path, 12, new byte[8]); // capacity = 0

        var e = Assert.Throws<ImageRefusedException>(() => CheckVmdk(path));

        Assert.Contains("declares no capacity", e.Message);
    }

    [Fact]
    public void SparseVmdk_WithParentHint_IsRefusedNamingTheParent()
    {
        var path = TestImages.Guest(_dir, "vmdk");
        TestImages.Patch(path, 512, TestImages.Ascii("# Disk DescriptorFile\nversion=1\nparentCID=12345678\nparentFileNameHint=\"/etc/shadow\"\n\0"));

        var e = Assert.Throws<ImageRefusedException>(() => CheckVmdk(path));

        Assert.Contains("delta disk on a parent ('/etc/shadow')", e.Message);
    }

    [Fact]
    public void SparseVmdk_AsQemuWritesIt_Passes()
    {
        CheckVmdk(TestImages.Guest(_dir, "vmdk"));
    }

    [Fact]
    public void QemuReport_ListsVmdkExtents_AndEncryption()
    {
        const string json = """
            {"virtual-size": 67108864, "filename": "/x/a.vmdk", "format": "vmdk", "actual-size": 4096, "encrypted": true,
             "format-specific": {"type": "vmdk", "data": {"create-type": "monolithicFlat",
               "extents": [{"virtual-size": 1048576, "filename": "/etc/passwd", "format": "FLAT"}]}}}
            """;

        var info = QemuImg.ParseInfo(json);

        Assert.Equal(["/etc/passwd"], info.ExtentFilenames);
        Assert.True(info.Encrypted);
    }

    [Fact]
    public void QemuReason_DropsTheToolPrefixAndTheHostPath()
    {
        const string path = "/var/lib/kraut/images/incoming/1.arrived";

        var reason = ImageInspector.QemuReason($"qemu-img: Could not open '{path}': No valid VHDX header found\n", path);

        Assert.Equal("No valid VHDX header found.", reason);
    }

    private static void CheckQcow2(string path)
    {
        using var stream = File.OpenRead(path);
        HeaderChecks.CheckQcow2(stream);
    }

    private static void CheckVmdk(string path)
    {
        using var stream = File.OpenRead(path);
        HeaderChecks.CheckVmdkSparse(stream);
    }
}
