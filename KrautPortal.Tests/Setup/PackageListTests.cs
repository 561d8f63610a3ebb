using System.Text.RegularExpressions;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Setup;

/// <summary>
/// The set-up script and the Dockerfile install from the same package lists (scripts/packages/), and those lists are
/// what a fresh machine really gets: a package used by hand and never listed is what made the fresh-machine run fail.
/// </summary>
public sealed partial class PackageListTests
{
    private static readonly string Packages = Path.Combine(RepoPaths.Root, "scripts", "packages");

    private static IEnumerable<string> Listed(string list) =>
        File.ReadLines(Path.Combine(Packages, list + ".txt"))
            .Select(line => line.Split('#')[0].Trim())
            .Where(line => line.Length > 0);

    public static TheoryData<string> Lists() => new(Directory.GetFiles(Packages, "*.txt").Select(Path.GetFileNameWithoutExtension)!);

    [Theory]
    [MemberData(nameof(Lists))]
    public void EveryList_IsInstalledBySetupHost(string list)
    {
        var setup = File.ReadAllText(RepoPaths.Script("setup-host.sh"));
        var named = ListsLine().Matches(setup).SelectMany(m => m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(list, named);
    }

    [Theory]
    [MemberData(nameof(Lists))]
    public void EveryListedPackage_IsInstalledOnThisMachine(string list)
    {
        // The suite runs after `setup-host.sh --with-tests`: each name must be a real Debian 12 package it installed.
        var missing = Listed(list).Where(p => Tool.Try("dpkg-query", "-W", "-f=${Status}", p).StdOut != "install ok installed")
            // setup-host.sh leaves an npm that is already a command alone (nodesource's nodejs conflicts with Debian's).
            .Where(p => !(p == "npm" && Tool.Try("sh", "-c", "command -v npm").ExitCode == 0))
            .ToList();
        Assert.True(missing.Count == 0, $"listed in {list}.txt but not installed: {string.Join(", ", missing)}");
    }

    [Fact]
    public void Dockerfile_InstallsExactlyThePortalList_OnDebian12()
    {
        var dockerfile = File.ReadAllText(Path.Combine(RepoPaths.Root, "Dockerfile"));
        Assert.Contains("COPY scripts/packages/portal.txt", dockerfile, StringComparison.Ordinal);
        // The build stage installs the build list (npm) the same way.
        Assert.Contains("COPY scripts/packages/build.txt", dockerfile, StringComparison.Ordinal);
        // Packages named inline would drift from setup-host.sh: every install reads a list.
        var installs = Regex.Matches(dockerfile, @"apt-get install[^\n]*").Select(m => m.Value).ToList();
        Assert.Equal(["apt-get install -y --no-install-recommends \\", "apt-get install -y --no-install-recommends \\"], installs);
        Assert.Contains("xargs apt-get install", dockerfile, StringComparison.Ordinal);

        var bases = Regex.Matches(dockerfile, @"^FROM (\S+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        // The lists are Debian 12's package names; .NET 10 publishes no Debian-based image, so none is named.
        Assert.Equal("debian:bookworm-slim", bases[^1]);
        Assert.DoesNotContain(bases, b => b.StartsWith("mcr.microsoft.com/", StringComparison.Ordinal) && b.Contains("bookworm", StringComparison.Ordinal));
    }

    [Fact]
    public void DockerIgnore_KeepsBuildOutputOutOfTheContext()
    {
        var ignore = File.ReadAllLines(Path.Combine(RepoPaths.Root, ".dockerignore"));
        Assert.Contains("**/bin/", ignore);
        Assert.Contains("**/obj/", ignore);
    }

    [GeneratedRegex(@"lists(?:\+)?=\(([^)]*)\)")]
    private static partial Regex ListsLine();
}
