using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace KrautPortal.Features.Audit;

/// <summary>
/// The audit trail's tamper evidence: entry n stores SHA-256(hash of entry n-1 ‖ canonical form of entry n), entry 1
/// chains to <see cref="Genesis"/>. Changing, inserting or removing an entry breaks every hash from there on, which
/// <see cref="Verify"/> finds without trusting anything stored but the entries themselves. Removing the newest entries
/// leaves a shorter valid chain: compare the head <see cref="Verify"/> reports with one noted earlier.
/// </summary>
public static class AuditChain
{
    /// <summary>What the first entry chains to: 64 zeros.</summary>
    public static readonly string Genesis = new('0', 64);

    public static string Hash(string previous, AuditEntryRow entry)
    {
        var bytes = Encoding.UTF8.GetBytes(previous + Canonical(entry));
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>
    /// Every field but the hash, as a JSON array in a fixed order, times as UTC ticks: the same bytes whoever writes
    /// them, as long as the stored values are the same.
    /// </summary>
    public static string Canonical(AuditEntryRow e)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            w.WriteNumberValue(e.Seq);
            w.WriteStringValue(e.At.ToUniversalTime().Ticks.ToString(CultureInfo.InvariantCulture));
            Write(w, e.User);
            Write(w, e.Who);
            Write(w, e.Via);
            Write(w, e.TokenId?.ToString());
            Write(w, e.RemoteAddress);
            w.WriteStringValue(e.Method);
            Write(w, e.Route);
            w.WriteStringValue(e.Path);
            Write(w, e.Kind);
            Write(w, e.ObjectId?.ToString());
            Write(w, e.Action);
            w.WriteNumberValue(e.Status);
            w.WriteStringValue(e.Outcome);
            w.WriteStringValue(e.DurationMs.ToString("R", CultureInfo.InvariantCulture));
            Write(w, e.Parameters);
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter w, string? value)
    {
        if (value is null) w.WriteNullValue();
        else w.WriteStringValue(value);
    }

    /// <summary>Checks entries given in ascending order of <see cref="AuditEntryRow.Seq"/>; stops at the first break.</summary>
    public static async Task<ChainReport> Verify(IAsyncEnumerable<AuditEntryRow> entries, CancellationToken ct = default)
    {
        var previous = Genesis;
        long expected = 1, count = 0;
        await foreach (var entry in entries.WithCancellation(ct))
        {
            if (entry.Seq != expected)
            {
                var problem = entry.Seq > expected
                    ? (entry.Seq - 1 > expected ? $"entries {expected} to {entry.Seq - 1} are missing" : $"entry {expected} is missing") + $" (deleted) before entry {entry.Seq}"
                    : $"entry {entry.Seq} appears out of order after entry {expected - 1}";
                return new ChainReport(false, count, expected, problem, expected - 1, previous);
            }
            var hash = Hash(previous, entry);
            if (!string.Equals(hash, entry.Hash, StringComparison.Ordinal))
                return new ChainReport(false, count, entry.Seq,
                    $"entry {entry.Seq} ({entry.At:u}, {entry.Method} {entry.Path}, status {entry.Status}) does not match its hash: "
                    + $"stored {entry.Hash}, computed {hash}. It was changed after it was written (or its hash was).", expected - 1, previous);
            previous = hash;
            count++;
            expected++;
        }
        return new ChainReport(true, count, null, null, expected - 1, previous);
    }
}

/// <summary>What a chain check found: whether it holds, how many entries held, and the first broken one.</summary>
/// <param name="HeadSeq">The last entry that checked out (0 when none).</param>
/// <param name="HeadHash">Its hash: note it to detect later removal of the newest entries.</param>
public sealed record ChainReport(bool Ok, long Checked, long? BrokenSeq, string? Problem, long HeadSeq, string HeadHash)
{
    public override string ToString() => Ok
        ? $"Audit chain intact: {Checked} entries, head {HeadSeq} {HeadHash}."
        : $"Audit chain BROKEN at entry {BrokenSeq}: {Problem} ({Checked} entries before it are intact; last good {HeadSeq} {HeadHash}).";
}
