using KrautPortal.Features.Networks;
using KrautPortal.Features.Vms.CloudInit;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.CloudInit;

/// <summary>The seed ISO as written by xorriso, read back with xorriso: label, file names, content, rewrite rules.</summary>
public sealed class SeedIsoTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kraut-seed-test-").FullName;
    private readonly List<string> _extracted = [];

    private static SeedDocuments Seed(string name) =>
        SeedDocuments.For(Guid.NewGuid(), name, SeedDocumentsTests.Spec() with { SshAuthorizedKeys = [TestKeys.Ed25519()], UserData = "#!/bin/sh\necho hi\n" },
            [new SeedNic(SeedDocumentsTests.Nic("52:54:00:00:00:09", v4: "10.40.0.9"), new NetworkSpec { Ipv4Cidr = "10.40.0.0/24", Ipv4Mode = Ipv4Mode.Static }, "10.40.0.1", null)]);

    private Dictionary<string, string> Extract(string iso)
    {
        var outDir = Path.Combine(Path.GetTempPath(), "kraut-seed-x-" + Guid.NewGuid().ToString("N"));
        _extracted.Add(outDir);
        Tool.Run("xorriso", "-osirrox", "on", "-indev", iso, "-extract", "/", outDir);
        return Directory.GetFiles(outDir).ToDictionary(f => Path.GetFileName(f), f => File.ReadAllText(f));
    }

    [Fact]
    public async Task Write_MakesACidataIsoWithTheThreeFiles()
    {
        var iso = Path.Combine(_dir, "vm.iso");
        var seed = Seed("web");

        await SeedIsoWriter.WriteAsync(iso, seed, CancellationToken.None);

        var pvd = Tool.Run("xorriso", "-indev", iso, "-pvd_info");
        Assert.Matches(@"Volume Id\s*:\s*cidata", pvd);
        var files = Extract(iso);
        Assert.Equal(["meta-data", "network-config", "user-data"], files.Keys.Order());
        Assert.Equal(seed.MetaData, files["meta-data"]);
        Assert.Equal(seed.UserData, files["user-data"]);
        Assert.Equal(seed.NetworkConfig, files["network-config"]);
        // Nothing half-made is left beside it.
        Assert.Equal(["vm.iso", "vm.iso.sha256"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Write_RewritesOnlyWhenTheContentChanged()
    {
        var iso = Path.Combine(_dir, "vm.iso");
        var seed = Seed("web");
        await SeedIsoWriter.WriteAsync(iso, seed, CancellationToken.None);
        var first = File.GetLastWriteTimeUtc(iso);
        File.SetLastWriteTimeUtc(iso, first.AddHours(-1));

        await SeedIsoWriter.WriteAsync(iso, seed, CancellationToken.None);
        Assert.Equal(first.AddHours(-1), File.GetLastWriteTimeUtc(iso));

        var changed = seed with { MetaData = seed.MetaData.Replace("web", "db", StringComparison.Ordinal) };
        await SeedIsoWriter.WriteAsync(iso, changed, CancellationToken.None);
        Assert.Equal(changed.MetaData, Extract(iso)["meta-data"]);
    }

    [Fact]
    public async Task Write_AfterACrashBeforeTheHashWasRecorded_WritesAgain()
    {
        var iso = Path.Combine(_dir, "vm.iso");
        await SeedIsoWriter.WriteAsync(iso, Seed("old"), CancellationToken.None);
        var seed = Seed("new");
        // As if the process died after renaming a new image into place but before recording its hash: a stale hash.
        Directory.CreateDirectory(iso + ".d.tmp");
        File.WriteAllText(iso + ".tmp", "half an image");

        await SeedIsoWriter.WriteAsync(iso, seed, CancellationToken.None);

        Assert.Equal(seed.MetaData, Extract(iso)["meta-data"]);
        Assert.False(File.Exists(iso + ".tmp"));
        Assert.False(Directory.Exists(iso + ".d.tmp"));
    }

    public void Dispose()
    {
        foreach (var dir in _extracted.Append(_dir).Where(Directory.Exists)) Directory.Delete(dir, recursive: true);
    }
}
