namespace KrautPortal.Features.Auth;

/// <summary>
/// Keeps the audit log's growth bounded whatever anonymous callers send. Every field is cut to a sane length. Within
/// a minute, identical refusals of unauthenticated requests (same authenticator, reason, claimed user, address and status) are one row with a
/// count; past <see cref="DistinctPerAddress"/> different refusals from one address, or <see cref="DistinctPerMinute"/>
/// in all, the rest of that minute's refusals are counted on one row per address and one overall. Used only by
/// the audit's single writer.
/// </summary>
internal sealed class AuditAggregator
{
    public const int DistinctPerAddress = 20;
    public const int DistinctPerMinute = 300;
    private const string Overflow = "Further refusals this minute, counted together (the log keeps a bounded number of distinct rows).";

    private readonly Dictionary<string, AuthEventRow> _rows = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _perAddress = new(StringComparer.Ordinal);
    private DateTime _minute;

    /// <summary>Cuts every text field to a bounded length.</summary>
    public static void Bound(AuthEventRow row)
    {
        row.Who = Cut(row.Who, 100);
        row.Via = Cut(row.Via, 32)!;
        row.Decision = Cut(row.Decision, 16)!;
        row.Reason = Cut(row.Reason, 400);
        row.Method = Cut(row.Method, 16)!;
        row.Path = Cut(row.Path, 200)!;
        row.Kind = Cut(row.Kind, 40);
        row.Action = Cut(row.Action, 40);
        row.RemoteAddress = Cut(row.RemoteAddress, 45);
    }

    private static string? Cut(string? text, int max) => text is null || text.Length <= max ? text : text[..(max - 1)] + "…";

    /// <summary>Splits a batch into rows to insert, and already stored rows whose count went up.</summary>
    public (List<AuthEventRow> Fresh, List<AuthEventRow> Counted) Sort(IEnumerable<AuthEventRow> batch)
    {
        var fresh = new List<AuthEventRow>();
        var counted = new List<AuthEventRow>();
        foreach (var row in batch)
        {
            // Refusals of someone who proved who they are (403, 404) stay one row each: they are accountable, and rare.
            if (row.Decision != "deny" || row.Status is not (null or StatusCodes.Status401Unauthorized))
            {
                fresh.Add(row);
                continue;
            }
            var minute = new DateTime(row.At.Ticks - row.At.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
            if (minute != _minute)
            {
                _rows.Clear();
                _perAddress.Clear();
                _minute = minute;
            }
            var address = row.RemoteAddress ?? "";
            var key = string.Join('\n', row.Via, row.Reason, address, row.Who, row.Status);
            if (!_rows.ContainsKey(key))
            {
                var fromAddress = _perAddress.GetValueOrDefault(address);
                if (fromAddress >= DistinctPerAddress || _rows.Count >= DistinctPerMinute)
                {
                    var global = _rows.Count >= DistinctPerMinute && fromAddress < DistinctPerAddress;
                    key = global ? "overflow" : "overflow\n" + address;
                    (row.Who, row.Reason, row.Path, row.Kind, row.ObjectId, row.Action, row.Via) = (null, Overflow, "*", null, null, null, "audit");
                    if (global) row.RemoteAddress = null;
                }
            }
            if (_rows.TryGetValue(key, out var first))
            {
                first.Count++;
                if (!counted.Contains(first)) counted.Add(first);
                continue;
            }
            _rows[key] = row;
            _perAddress[address] = _perAddress.GetValueOrDefault(address) + 1;
            fresh.Add(row);
        }
        return (fresh, counted);
    }
}
