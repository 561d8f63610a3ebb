using System.Globalization;

namespace KrautPortal.Hypervisor;

/// <summary>
/// Gathers one domain's typed parameters (field name and value, in libvirt's order) into a <see cref="DomainStats"/>.
/// Unknown fields are ignored, missing ones stay null, and numbers of any integer type are accepted, so a newer or
/// older libvirt (or the test driver's few fields) never breaks a sample.
/// </summary>
internal sealed class DomainStatsBuilder(Guid uuid, string name)
{
    private readonly SortedDictionary<int, Dictionary<string, object>> _blocks = [];
    private readonly SortedDictionary<int, Dictionary<string, object>> _nets = [];
    private readonly Dictionary<string, ulong> _top = new(StringComparer.Ordinal);

    /// <summary>One parameter: an integer (as ulong; negatives are dropped by the caller) or a string.</summary>
    public void Add(string field, object value)
    {
        if (TryIndexed(field, "block.", out var index, out var rest))
        {
            Slot(_blocks, index)[rest] = value;
        }
        else if (TryIndexed(field, "net.", out index, out rest))
        {
            Slot(_nets, index)[rest] = value;
        }
        else if (value is ulong number)
        {
            _top[field] = number;
        }
    }

    public DomainStats Build() => new(
        uuid,
        name,
        Top("state.state") is { } state ? (DomainState)(int)state : DomainState.NoState,
        Top("cpu.time"),
        Top("vcpu.current") is { } vcpus ? (int)vcpus : null,
        Top("balloon.current"),
        Top("balloon.maximum"),
        Top("balloon.rss"),
        Top("balloon.usable"),
        Top("balloon.available"),
        Top("balloon.unused"),
        [.. _blocks.Values.Select(Block)],
        [.. _nets.Values.Select(Interface)]);

    private ulong? Top(string field) => _top.TryGetValue(field, out var v) ? v : null;

    private static BlockStats Block(Dictionary<string, object> f) => new(
        Text(f, "name") ?? "",
        Text(f, "path"),
        Number(f, "rd.bytes") ?? 0,
        Number(f, "wr.bytes") ?? 0,
        Number(f, "rd.reqs") ?? 0,
        Number(f, "wr.reqs") ?? 0,
        Number(f, "allocation"),
        Number(f, "capacity"),
        Number(f, "physical"));

    private static InterfaceStats Interface(Dictionary<string, object> f) => new(
        Text(f, "name") ?? "",
        Number(f, "rx.bytes") ?? 0,
        Number(f, "tx.bytes") ?? 0,
        Number(f, "rx.pkts") ?? 0,
        Number(f, "tx.pkts") ?? 0,
        Number(f, "rx.errs") ?? 0,
        Number(f, "tx.errs") ?? 0,
        Number(f, "rx.drop") ?? 0,
        Number(f, "tx.drop") ?? 0);

    private static string? Text(Dictionary<string, object> f, string key) => f.TryGetValue(key, out var v) ? v as string : null;

    private static ulong? Number(Dictionary<string, object> f, string key) =>
        f.TryGetValue(key, out var v) && v is ulong n ? n : null;

    private static Dictionary<string, object> Slot(SortedDictionary<int, Dictionary<string, object>> slots, int index)
    {
        if (!slots.TryGetValue(index, out var slot))
        {
            slot = new Dictionary<string, object>(StringComparer.Ordinal);
            slots[index] = slot;
        }

        return slot;
    }

    /// <summary>"block.2.rd.bytes" with prefix "block." gives 2 and "rd.bytes"; "block.count" is no indexed field.</summary>
    private static bool TryIndexed(string field, string prefix, out int index, out string rest)
    {
        index = 0;
        rest = "";
        if (!field.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var dot = field.IndexOf('.', prefix.Length);
        if (dot < 0 || !int.TryParse(field.AsSpan(prefix.Length, dot - prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out index))
        {
            return false;
        }

        rest = field[(dot + 1)..];
        return true;
    }
}
