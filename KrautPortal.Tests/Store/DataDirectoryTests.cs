using KrautPortal.Features;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Store;

/// <summary>The data directory (database, disks, seed ISOs, console logs) is closed to every other local user.</summary>
/// <remarks>SQLite only: the database file in the data directory; it does not depend on the database in use.</remarks>
[Trait("Database", "SqliteOnly")]
public sealed class DataDirectoryTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kraut-private-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AWorldReadableDataDirectory_IsClosedAtStart_SoAnotherUserCannotReadTheDatabase()
    {
        // As an installation left it: 0755 directory, 0644 database (what issue 9 found).
        Directory.CreateDirectory(_dir);
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
        var db = Path.Combine(_dir, "kraut.db");
        File.WriteAllText(db, "password hashes and OTP secrets");
        File.SetUnixFileMode(db, (UnixFileMode)0b110_100_100);
        Assert.Equal(0, ReadAsNobody(db).ExitCode);

        _ = new KrautPaths(_dir);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_dir));
        var (status, _, stderr) = ReadAsNobody(db);
        Assert.NotEqual(0, status);
        Assert.Contains("Permission denied", stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, ReadAsNobody(Path.Combine(_dir, "consoles")).ExitCode);
    }

    [Fact]
    public void ANewDataDirectory_IsPrivateFromTheStart()
    {
        _ = new KrautPaths(_dir);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_dir));
    }

    [Fact]
    public void ABackupDirectoryElsewhere_IsUsedAndClosedToo_AndARelativeOneIsRefusedNamingTheSetting()
    {
        var backups = _dir + "-backups";
        try
        {
            var paths = new KrautPaths(_dir, backups);

            Assert.Equal(backups, paths.Backups);
            Assert.False(Directory.Exists(Path.Combine(_dir, "backups")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(backups));
            Assert.NotEqual(0, ReadAsNobody(backups).ExitCode);
            Assert.Equal(Path.Combine(_dir, "backups"), new KrautPaths(_dir).Backups);
            var refused = Assert.Throws<InvalidOperationException>(() => new KrautPaths(_dir, "relative/backups"));
            Assert.Contains("Kraut:BackupDirectory", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(backups)) Directory.Delete(backups, recursive: true);
        }
    }

    /// <summary>What another local user meets: <c>cat</c> (or <c>ls</c> for a directory) as nobody.</summary>
    private static ToolOutput ReadAsNobody(string path) =>
        Tool.Try("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", Directory.Exists(path) ? "ls" : "cat", path);
}
