namespace KrautPortal.Features.Backups;

/// <summary>How consistent a backup is: <c>status.consistency</c> is one of these words, then why in parentheses.</summary>
public static class BackupConsistency
{
    /// <summary>The VM was stopped: nothing was in flight.</summary>
    public const string Stopped = "consistent";

    /// <summary>The guest agent froze the guest's filesystems while the job began (their data written out, writes held).</summary>
    public const string Filesystem = "filesystem-consistent";

    /// <summary>The disk as a power cut would leave it: what a journaling filesystem recovers from, unsynced data lost.</summary>
    public const string Crash = "crash-consistent";

    public static string Say(string word, string why) => $"{word} ({why})";

    /// <summary>The word alone, for a table cell ("—" while not known yet).</summary>
    public static string Word(string? consistency) => string.IsNullOrEmpty(consistency) ? "—" : consistency.Split(' ', 2)[0];
}
