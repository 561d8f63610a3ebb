using KrautPortal.Hypervisor;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>QemuImg against the real qemu-img binary.</summary>
public sealed class QemuImgTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kraut-qemuimg-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task CreateOverlay_InfoReportsBackingFileAndFormat()
    {
        var basePath = Path.Combine(_dir.FullName, "base.qcow2");
        var overlay = Path.Combine(_dir.FullName, "overlay.qcow2");
        await QemuImg.CreateAsync(basePath, "qcow2", 64L << 20, CancellationToken.None);

        await QemuImg.CreateOverlayAsync(overlay, basePath, "qcow2", 128L << 20, CancellationToken.None);
        var info = await QemuImg.InfoAsync(overlay, "qcow2", CancellationToken.None);

        Assert.Equal("qcow2", info.Format);
        Assert.Equal(128L << 20, info.VirtualSizeBytes);
        Assert.True(info.ActualSizeBytes > 0);
        Assert.True(info.HasBacking);
        Assert.Equal(basePath, info.BackingFilename);
        Assert.Equal(basePath, info.FullBackingFilename);
        Assert.Equal("qcow2", info.BackingFormat);
        Assert.False(info.HasDataFile);

        var baseInfo = await QemuImg.InfoAsync(basePath, "qcow2", CancellationToken.None);
        Assert.False(baseInfo.HasBacking);
        Assert.Equal(64L << 20, baseInfo.VirtualSizeBytes);
    }

    [Fact]
    public async Task CreateOverlay_RelativeBackingPath_IsStoredAbsolute()
    {
        var basePath = Path.Combine(_dir.FullName, "base.raw");
        await QemuImg.CreateAsync(basePath, "raw", 1L << 20, CancellationToken.None);
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, basePath);
        var overlay = Path.Combine(_dir.FullName, "o.qcow2");

        await QemuImg.CreateOverlayAsync(overlay, relative, "raw", null, CancellationToken.None);

        var info = await QemuImg.InfoAsync(overlay, "qcow2", CancellationToken.None);
        Assert.Equal(basePath, info.BackingFilename);
        Assert.Equal("raw", info.BackingFormat);
        Assert.Equal(1L << 20, info.VirtualSizeBytes); // size defaults to the backing file's
    }

    [Fact]
    public async Task Info_WrongFormat_ThrowsWithExitCodeAndStderr()
    {
        var raw = Path.Combine(_dir.FullName, "plain.raw");
        await File.WriteAllBytesAsync(raw, new byte[4096]);

        var ex = await Assert.ThrowsAsync<QemuImgException>(() => QemuImg.InfoAsync(raw, "qcow2", CancellationToken.None));

        Assert.NotEqual(0, ex.ExitCode);
        Assert.Contains("qcow2", ex.StandardError, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("-f qcow2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateOverlay_MissingBacking_Throws()
    {
        var ex = await Assert.ThrowsAsync<QemuImgException>(() => QemuImg.CreateOverlayAsync(
            Path.Combine(_dir.FullName, "o.qcow2"), Path.Combine(_dir.FullName, "missing.qcow2"), "qcow2", null, CancellationToken.None));
        Assert.Contains("missing.qcow2", ex.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseInfo_ReadsDataFile()
    {
        const string json = """
            {"virtual-size": 1073741824, "filename": "x.qcow2", "format": "qcow2", "actual-size": 200704,
             "format-specific": {"type": "qcow2", "data": {"compat": "1.1", "data-file": "/etc/shadow", "data-file-raw": true}},
             "dirty-flag": false}
            """;

        var info = QemuImg.ParseInfo(json);

        Assert.True(info.HasDataFile);
        Assert.Equal("/etc/shadow", info.DataFile);
        Assert.False(info.HasBacking);
        Assert.Equal(1073741824, info.VirtualSizeBytes);
    }

    [Fact]
    public async Task UnknownFormat_IsRejectedBeforeRunningTheTool() =>
        await Assert.ThrowsAsync<ArgumentException>(() => QemuImg.InfoAsync("/x", "auto", CancellationToken.None));
}
