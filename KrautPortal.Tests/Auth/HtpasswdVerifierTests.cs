using KrautPortal.Features.Auth;
using KrautPortal.Features.Auth.Htpasswd;

namespace KrautPortal.Tests.Auth;

/// <summary>The htpasswd verifier on files written by Apache's own htpasswd tool.</summary>
public sealed class HtpasswdVerifierTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Users => _dir.File("htpasswd");
    private string Groups => _dir.File("groups");

    private static Task<PasswordCheck> Check(HtpasswdVerifier verifier, string user, string password) =>
        verifier.VerifyAsync(user, password, CancellationToken.None);

    public static TheoryData<string> EveryFormat => new() { "-B", "-m", "-s", "-d", "-2", "-5" };

    [Theory]
    [MemberData(nameof(EveryFormat))]
    public async Task EachHtpasswdFormat_AcceptsTheRightPassword_AndRefusesAWrongOne(string flag)
    {
        // DES crypt reads 8 characters at most, so the passwords differ within the first 8.
        HtpasswdTool.Set(Users, flag, "carol", "s3cr3tPw");
        var verifier = HtpasswdTool.Verifier(Users);

        Assert.Empty(Valid(await Check(verifier, "carol", "s3cr3tPw")).Groups);
        Assert.IsType<PasswordCheck.WrongPassword>(await Check(verifier, "carol", "s3cr3tPx"));
        Assert.IsType<PasswordCheck.WrongPassword>(await Check(verifier, "carol", ""));
        Assert.Equal("htpasswd", verifier.Name);
    }

    [Theory]
    [InlineData("-m")]
    [InlineData("-B")]
    [InlineData("-s")]
    [InlineData("-5")]
    public async Task NonAsciiPasswords_AreCheckedAsUtf8_AsHtpasswdHashedThem(string flag)
    {
        HtpasswdTool.Set(Users, flag, "jörg", "pässwörd-€");
        var verifier = HtpasswdTool.Verifier(Users);

        Assert.IsType<PasswordCheck.Valid>(await Check(verifier, "jörg", "pässwörd-€"));
        Assert.IsType<PasswordCheck.WrongPassword>(await Check(verifier, "jörg", "passwort-€"));
    }

    [Fact]
    public async Task AUserNotInTheFile_IsUnknown_SoTheNextVerifierMayKnowThem()
    {
        HtpasswdTool.Set(Users, "-B", "alice", "pw-alice");
        var verifier = HtpasswdTool.Verifier(Users);

        Assert.IsType<PasswordCheck.UnknownUser>(await Check(verifier, "mallory", "pw-alice"));
        Assert.IsType<PasswordCheck.UnknownUser>(await Check(verifier, "Alice", "pw-alice"));
    }

    [Fact]
    public async Task AFileChangedOnDisk_IsReadAgain_OnTheVeryNextRequest()
    {
        HtpasswdTool.Set(Users, "-m", "alice", "pw-alice");
        var verifier = HtpasswdTool.Verifier(Users);
        Assert.IsType<PasswordCheck.Valid>(await Check(verifier, "alice", "pw-alice"));
        Assert.IsType<PasswordCheck.UnknownUser>(await Check(verifier, "dave", "pw-dave"));

        HtpasswdTool.Set(Users, "-B", "dave", "pw-dave");
        Assert.IsType<PasswordCheck.Valid>(await Check(verifier, "dave", "pw-dave"));

        // Same format, so the file keeps its length: only the time (or content) shows the change.
        HtpasswdTool.Set(Users, "-m", "alice", "pw-new1");
        Assert.IsType<PasswordCheck.WrongPassword>(await Check(verifier, "alice", "pw-alice"));
        Assert.IsType<PasswordCheck.Valid>(await Check(verifier, "alice", "pw-new1"));

        HtpasswdTool.Delete(Users, "dave");
        Assert.IsType<PasswordCheck.UnknownUser>(await Check(verifier, "dave", "pw-dave"));
    }

    [Fact]
    public async Task ConcurrentRewritesByHtpasswd_NeverMakeARequestFail()
    {
        // Big enough that htpasswd copies it over in several writes, each a moment a reader could catch.
        HtpasswdTool.Set(Users, "-m", "alice", "pw-alice");
        var filler = File.ReadAllText(Users).Split(':')[1].Trim();
        File.AppendAllLines(Users, Enumerable.Range(0, 400).Select(i => $"filler{i:D4}:{filler}"));
        HtpasswdTool.Set(Users, "-m", "zed", "pw-zed");
        var verifier = HtpasswdTool.Verifier(Users);
        Assert.IsType<PasswordCheck.Valid>(await Check(verifier, "alice", "pw-alice"));

        using var done = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            try
            {
                for (var i = 0; i < 40; i++) HtpasswdTool.Set(Users, "-m", $"new{i}", "pw-new");
            }
            finally
            {
                done.Cancel();
            }
        });
        var checks = 0;
        var failures = new List<PasswordCheck>();
        while (!done.IsCancellationRequested)
        {
            // alice is on the first line; zed comes after the first 8 KiB that htpasswd copies.
            foreach (var (user, password) in new[] { ("alice", "pw-alice"), ("zed", "pw-zed") })
            {
                var result = await Check(verifier, user, password);
                checks++;
                if (result is not PasswordCheck.Valid) failures.Add(result);
            }
        }
        await writer;

        Assert.Empty(failures);
        // Not vacuous: checks overlapped the rewrites (each new version costs a check a short quiet wait).
        Assert.True(checks >= 10, $"only {checks} checks ran during the rewrites");
        Assert.IsType<PasswordCheck.Valid>(await Check(verifier, "new39", "pw-new"));
    }

    [Fact]
    public async Task AFileCaughtHalfWritten_KeepsTheLastGoodParse_UntilItHasBeenLeftAlone()
    {
        HtpasswdTool.Set(Users, "-m", "alice", "pw-alice");
        HtpasswdTool.Set(Users, "-m", "bob", "pw-bob");
        var original = File.ReadAllText(Users);
        var clock = new ManualClock();
        var verifier = HtpasswdTool.Verifier(Users, time: clock);
        Assert.IsType<PasswordCheck.Valid>(await Check(verifier, "bob", "pw-bob"));

        // What a reader may see while htpasswd copies its new file over the old one: empty, then a part.
        File.WriteAllText(Users, "");
        Assert.IsType<PasswordCheck.Valid>(await Check(verifier, "bob", "pw-bob"));
        File.WriteAllText(Users, original[..^10]);
        Assert.IsType<PasswordCheck.Valid>(await Check(verifier, "bob", "pw-bob"));

        // Left alone long enough, the content is what the administrator meant, cut-off line and all.
        clock.Offset = ReloadingFileSettle + TimeSpan.FromSeconds(1);
        Assert.IsType<PasswordCheck.UnusableEntry>(await Check(verifier, "bob", "pw-bob"));
        Assert.IsType<PasswordCheck.Valid>(await Check(verifier, "alice", "pw-alice"));

        File.WriteAllText(Users, original);
        Assert.IsType<PasswordCheck.Valid>(await Check(verifier, "bob", "pw-bob"));
        clock.Offset = TimeSpan.Zero;
        File.WriteAllText(Users, "");
        Assert.IsType<PasswordCheck.Valid>(await Check(verifier, "bob", "pw-bob"));
        clock.Offset = ReloadingFileSettle + TimeSpan.FromSeconds(1);
        Assert.IsType<PasswordCheck.UnknownUser>(await Check(verifier, "bob", "pw-bob"));
    }

    private static readonly TimeSpan ReloadingFileSettle = ReloadingFile<object>.SettleTime;

    [Fact]
    public async Task TheGroupFile_GivesEachUserTheirGroups_AndIsReadAgainWhenItChanges()
    {
        HtpasswdTool.Set(Users, "-B", "alice", "pw-alice");
        HtpasswdTool.Set(Users, "-B", "bob", "pw-bob");
        HtpasswdTool.Set(Users, "-B", "carol", "pw-carol");
        File.WriteAllText(Groups, "# Apache AuthGroupFile\nkraut-admins: alice\ndevelopers: alice\tbob\n\ndevelopers: dave\n");
        var verifier = HtpasswdTool.Verifier(Users, Groups);

        Assert.Equal(["kraut-admins", "developers"], Valid(await Check(verifier, "alice", "pw-alice")).Groups);
        Assert.Equal(["developers"], Valid(await Check(verifier, "bob", "pw-bob")).Groups);
        Assert.Empty(Valid(await Check(verifier, "carol", "pw-carol")).Groups);

        File.AppendAllText(Groups, "operators: carol bob\n");
        Assert.Equal(["developers", "operators"], Valid(await Check(verifier, "bob", "pw-bob")).Groups);
        Assert.Equal(["operators"], Valid(await Check(verifier, "carol", "pw-carol")).Groups);
    }

    [Fact]
    public async Task AMissingGroupFile_MakesAValidPasswordUnavailable_RatherThanGroupless()
    {
        HtpasswdTool.Set(Users, "-B", "alice", "pw-alice");
        var verifier = HtpasswdTool.Verifier(Users, Groups);

        var result = Assert.IsType<PasswordCheck.Unavailable>(await Check(verifier, "alice", "pw-alice"));
        Assert.Contains($"group file {Groups} does not exist", result.Reason, StringComparison.Ordinal);
        Assert.IsType<PasswordCheck.WrongPassword>(await Check(verifier, "alice", "nope"));
    }

    [Fact]
    public async Task AGarbledLine_MakesOnlyThatUserUnusable_WithTheLineNumberForTheLog_NeverASilentYes()
    {
        HtpasswdTool.Set(Users, "-B", "alice", "pw-alice");
        HtpasswdTool.Set(Users, "-m", "bob", "pw-bob");
        // htpasswd itself refuses to touch such a file, so these lines come from an editor.
        File.AppendAllText(Users, "this line has no colon\nmallory:$apr1$broken\nplain:pw-plain\nbcrypt:$2y$05$tooShort\nsha:{SHA}bm90IGEgZGlnZXN0\n");
        var verifier = HtpasswdTool.Verifier(Users);

        var mallory = Assert.IsType<PasswordCheck.UnusableEntry>(await Check(verifier, "mallory", "anything"));
        Assert.Contains($"'mallory' (line 4 of {Users})", mallory.Detail, StringComparison.Ordinal);
        Assert.Contains("not a hash format Kraut understands", mallory.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("$apr1$broken", mallory.Detail, StringComparison.Ordinal);
        // Plain text (htpasswd -p) is refused even with the very password it holds.
        Assert.IsType<PasswordCheck.UnusableEntry>(await Check(verifier, "plain", "pw-plain"));
        Assert.IsType<PasswordCheck.UnusableEntry>(await Check(verifier, "bcrypt", "x"));
        Assert.IsType<PasswordCheck.UnusableEntry>(await Check(verifier, "sha", "not a digest"));

        Assert.IsType<PasswordCheck.Valid>(await Check(verifier, "alice", "pw-alice"));
        Assert.IsType<PasswordCheck.Valid>(await Check(verifier, "bob", "pw-bob"));
    }

    [Fact]
    public async Task AMissingFile_IsUnavailable_WithAClearReason_AndComesBackWhenCreated()
    {
        var verifier = HtpasswdTool.Verifier(Users);

        var result = Assert.IsType<PasswordCheck.Unavailable>(await Check(verifier, "alice", "pw-alice"));
        Assert.Equal($"htpasswd file {Users} does not exist.", result.Reason);

        HtpasswdTool.Set(Users, "-B", "alice", "pw-alice");
        Assert.IsType<PasswordCheck.Valid>(await Check(verifier, "alice", "pw-alice"));
    }

    [Fact]
    public async Task ADirectoryInsteadOfAFile_OrNoFileConfigured_IsUnavailable()
    {
        var directory = Assert.IsType<PasswordCheck.Unavailable>(await Check(HtpasswdTool.Verifier(_dir.Path), "alice", "pw"));
        Assert.Contains("is a directory", directory.Reason, StringComparison.Ordinal);

        var unset = Assert.IsType<PasswordCheck.Unavailable>(await Check(HtpasswdTool.Verifier(""), "alice", "pw"));
        Assert.Contains("Auth:Htpasswd:File", unset.Reason, StringComparison.Ordinal);
    }

    private static PasswordCheck.Valid Valid(PasswordCheck check) => Assert.IsType<PasswordCheck.Valid>(check);
}
