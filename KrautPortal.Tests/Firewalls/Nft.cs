using KrautPortal.Tests.Auth;

namespace KrautPortal.Tests.Firewalls;

/// <summary>The real nft, in a network namespace of its own (<c>unshare --net</c>), so nothing reaches the host's rules. Tests run as root.</summary>
internal static class Nft
{
    public static string Binary => Tool.PackagedFile("/usr/sbin/nft", "nftables");

    private static string Unshare => Tool.PackagedFile("/usr/bin/unshare", "util-linux");

    /// <summary>Asserts that <c>nft -c -f</c> accepts the ruleset, showing nft's complaint and the file with line numbers if not.</summary>
    public static void AssertValid(string ruleset)
    {
        using var dir = new TempDir();
        var file = dir.File("ruleset.nft");
        File.WriteAllText(file, ruleset);
        var check = Tool.Try(Unshare, "--net", Binary, "-c", "-f", file);
        Assert.True(check.ExitCode == 0, $"nft -c refused the ruleset: {check.StdErr}\n" + Numbered(ruleset));
    }

    /// <summary>Loads the ruleset (twice: the second load must replace the first), runs <paramref name="traffic"/> (bash) and returns <c>nft -j list table inet kraut</c>.</summary>
    public static string LoadAndList(string ruleset, string traffic, string? extra = null)
    {
        using var dir = new TempDir();
        var file = dir.File("ruleset.nft");
        File.WriteAllText(file, ruleset);
        var extraLoad = "";
        if (extra is not null)
        {
            File.WriteAllText(dir.File("extra.nft"), extra);
            extraLoad = $"{Binary} -f {dir.File("extra.nft")} && ";
        }
        var script = $"set -e; ip link set lo up; {Binary} -f {file}; {Binary} -f {file}; {extraLoad}{traffic}; {Binary} -j list ruleset";
        var run = Tool.Try(Unshare, "--net", "/usr/bin/bash", "-c", script);
        Assert.True(run.ExitCode == 0, $"loading the ruleset failed: {run.StdErr}\n" + Numbered(ruleset));
        return run.StdOut;
    }

    private static string Numbered(string text) =>
        string.Join('\n', text.Split('\n').Select((line, i) => $"{i + 1,4}: {line}"));
}
