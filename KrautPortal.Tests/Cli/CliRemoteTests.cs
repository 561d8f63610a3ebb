using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Cli;

/// <summary><c>kraut remote …</c>: the config file and token file are owner-only, tokens never printed, env overrides.</summary>
[Collection(CliCollection.Name)]
public sealed class CliRemoteTests(CliPortal portal)
{
    [Fact]
    public async Task RemoteAdd_WritesOwnerOnlyFiles_AndRemoteListNeverPrintsTheToken()
    {
        var home = Directory.CreateTempSubdirectory("kraut-cli-remote-").FullName;
        try
        {
            const string secret = "remote-test-secret-7c1d";
            var added = await portal.RunAsync(["remote", "add", "lab", "http://lab.example:5080", "--token", secret], configHome: home);
            Assert.True(added.ExitCode == 0, added.ToString());

            var config = Path.Combine(home, "kraut", "config.yaml");
            var tokenFile = Path.Combine(home, "kraut", "tokens", "lab");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
            Assert.DoesNotContain(secret, await File.ReadAllTextAsync(config), StringComparison.Ordinal);
            Assert.Equal(secret, (await File.ReadAllTextAsync(tokenFile)).Trim());

            foreach (var format in new[] { "table", "json", "yaml" })
            {
                var list = await portal.RunAsync(["remote", "list", "-o", format], configHome: home);
                Assert.Equal(0, list.ExitCode);
                Assert.Contains("http://lab.example:5080", list.Out, StringComparison.Ordinal);
                Assert.DoesNotContain(secret, list.Out + list.Err, StringComparison.Ordinal);
            }

            var second = await portal.RunAsync(["remote", "add", "other", "http://other.example", "--token", "x"], configHome: home);
            Assert.Equal(0, second.ExitCode);
            var used = await portal.RunAsync(["remote", "use", "other"], configHome: home);
            Assert.Equal(0, used.ExitCode);
            Assert.Contains("default: other", await File.ReadAllTextAsync(config), StringComparison.Ordinal);
            var removed = await portal.RunAsync(["remote", "remove", "lab"], configHome: home);
            Assert.Equal(0, removed.ExitCode);
            Assert.False(File.Exists(tokenFile));
            Assert.Equal(3, (await portal.RunAsync(["remote", "use", "lab"], configHome: home)).ExitCode);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task EnvironmentOverrides_KrautRemoteAsUrl_AndKrautTokenReplacesTheStoredOne()
    {
        var empty = Directory.CreateTempSubdirectory("kraut-cli-env-").FullName;
        try
        {
            var byEnv = await portal.RunAsync(["machine-type", "list", "-o", "name"], new Dictionary<string, string>
            {
                ["KRAUT_REMOTE"] = portal.BaseAddress.ToString(), ["KRAUT_TOKEN"] = TestCredentials.GodToken,
            }, configHome: empty);
            Assert.True(byEnv.ExitCode == 0, byEnv.ToString());
            Assert.Contains("small", byEnv.Out.Split('\n'));

            var wrongToken = await portal.RunAsync(["machine-type", "list"], new Dictionary<string, string> { ["KRAUT_TOKEN"] = "not-a-token" });
            Assert.Equal(1, wrongToken.ExitCode);
            Assert.Contains("token", wrongToken.Err, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("not-a-token", wrongToken.Err, StringComparison.Ordinal);

            var noRemote = await portal.RunAsync(["vm", "list"], configHome: empty);
            Assert.Equal(2, noRemote.ExitCode);
            Assert.Contains("kraut remote add", noRemote.Err, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public async Task List_FollowsEveryPage()
    {
        var marker = ApiClient.UniqueName("paging");
        var names = Enumerable.Range(1, 5).Select(i => $"{marker}-{i}").ToList();
        var file = Path.Combine(portal.ConfigHome, $"{marker}.yaml");
        try
        {
            foreach (var name in names)
            {
                await File.WriteAllTextAsync(file, $"""
                    name: {name}
                    metadata: {"{"}batch: {marker}{"}"}
                    spec:
                      architecture: x86_64
                      vcpus: {"{"}default: 1, min: 1, max: 2{"}"}
                      memoryMiB: {"{"}default: 256, min: 128, max: 512{"}"}
                    """);
                await portal.ExpectAsync(0, "machine-type", "create", "-f", file);
            }

            var listed = await portal.RunAsync(["machine-type", "list", "-l", $"batch={marker}", "-o", "name"], new Dictionary<string, string> { ["KRAUT_PAGE_SIZE"] = "2" });

            Assert.True(listed.ExitCode == 0, listed.ToString());
            Assert.Equal(names, listed.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            File.Delete(file);
            await portal.RunAsync("machine-type", "delete", "-l", $"batch={marker}", "--yes");
        }
    }
}
