using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace KrautPortal.Features.Auth.Htpasswd;

/// <summary>
/// A text file parsed once, and again whenever its size or last-write time changes (one stat per use, so a
/// change shows on the next request). A rewrite caught half-way keeps the last good parse.
/// </summary>
/// <remarks>
/// Apache's <c>htpasswd</c> rewrites in place (it truncates the file, then copies a temporary one over it),
/// so a reader can see an empty or partial file for a moment. Such content (empty, not ending in a newline,
/// or changed while being read) is only believed once the file has been left alone for <see cref="SettleTime"/>.
/// New content of a recently written file is believed only if the file then stays unchanged for a moment
/// (<see cref="QuietTime"/>), which catches a copy paused between two chunks at a line boundary. A copy paused longer
/// than that (a loaded machine deschedules htpasswd) shows a prefix whose length is a whole number of the copy's
/// chunks: new, recent content of exactly <see cref="CopyChunk"/> × n bytes is believed only once settled (a file that
/// really is that long takes effect <see cref="SettleTime"/> later; any other change, a removed user too, at once). Until a file has
/// settled it is read on every use even if its stamp looks unchanged: file times tick coarsely, so a second write
/// of the same length within one tick would otherwise go unseen.
/// </remarks>
internal sealed class ReloadingFile<T>(string path, string what, Func<string, T> parse, TimeProvider time, ILogger logger)
    where T : class
{
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(2);
    private const int FirstReadAttempts = 10;

    /// <summary>A writer copying a file does so in a tight loop: no change for this long means it has finished.</summary>
    private static readonly TimeSpan QuietTime = TimeSpan.FromMilliseconds(10);

    /// <summary>htpasswd copies its temporary file over in buffers of 4 KiB or multiples (APR's file buffer).</summary>
    private const int CopyChunk = 4096;

    private readonly Lock _gate = new();
    private (DateTime WriteTime, long Length) _stamp;
    private bool _settled;
    private byte[] _digest = [];
    private T? _current;
    private string? _lastError;

    public string Path => path;

    /// <summary>The current parse, or why there is none (missing, unreadable).</summary>
    public bool TryGet([NotNullWhen(true)] out T? value, [NotNullWhen(false)] out string? error)
    {
        lock (_gate)
        {
            error = Refresh();
            if (error is not null && error != _lastError) logger.LogWarning("{What} unavailable: {Reason}", what, error);
            _lastError = error;
            value = error is null ? _current : null;
            return value is not null;
        }
    }

    private string? Refresh()
    {
        for (var attempt = 1; ; attempt++)
        {
            (DateTime WriteTime, long Length) before, after;
            byte[] bytes;
            try
            {
                var info = new FileInfo(path);
                if (!info.Exists)
                {
                    _current = null;
                    return Directory.Exists(path) ? $"{what} {path} is a directory, not a file" : $"{what} {path} does not exist";
                }
                before = Stamp(info);
                if (_current is not null && _settled && before == _stamp) return null;
                bytes = ReadAll(path);
                after = Stamp(new FileInfo(path));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _current = null;
                return $"{what} {path} cannot be read: {e.Message}";
            }

            var digest = SHA256.HashData(bytes);
            var changed = _current is null || !digest.AsSpan().SequenceEqual(_digest);
            var settled = time.GetUtcNow().UtcDateTime - after.WriteTime >= SettleTime;
            var complete = before == after && bytes.Length == after.Length && bytes.Length > 0 && bytes[^1] == (byte)'\n'
                && (settled || !changed || (bytes.Length % CopyChunk != 0 && StaysQuiet(after)));
            if (!complete && !settled)
            {
                // Probably caught mid-rewrite: keep answering from the last good parse and look again next time.
                if (_current is not null) return null;
                if (attempt < FirstReadAttempts)
                {
                    Thread.Sleep(QuietTime);
                    continue;
                }
            }

            _stamp = after;
            _settled = settled;
            if (!changed) return null;
            _current = parse(Encoding.UTF8.GetString(bytes));
            _digest = digest;
            logger.LogInformation("Read {What} {Path}", what, path);
            return null;
        }
    }

    /// <summary>
    /// New content of a fresh file can still be a prefix that happens to end at a line (htpasswd copies 8 KiB at a
    /// time): believe it once the file has stayed as it is for a moment. Paid once per new version of the file.
    /// </summary>
    private bool StaysQuiet((DateTime, long) stamp)
    {
        Thread.Sleep(QuietTime);
        try
        {
            return Stamp(new FileInfo(path)) == stamp;
        }
        catch (IOException)
        {
            return false;
        }
    }

    // Not File.ReadAllBytes: it trusts the length it saw first, and fails when a rewrite shrinks the file meanwhile.
    private static byte[] ReadAll(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    // Length throws FileNotFoundException for a file gone since: reported as unreadable.
    private static (DateTime WriteTime, long Length) Stamp(FileInfo info) => (info.LastWriteTimeUtc, info.Length);
}
