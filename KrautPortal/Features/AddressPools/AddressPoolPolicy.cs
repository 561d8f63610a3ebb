using System.Net;
using System.Net.Sockets;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.AddressPools;

/// <summary>The pools that apply to a person (theirs, their groups', the shared default) and their ranges, parsed.</summary>
public sealed record ApplicablePool(string Name, string Owner, IReadOnlyList<IPNetwork> Ipv4, IReadOnlyList<IPNetwork> Ipv6)
{
    public string Describe(AddressFamily family) =>
        $"{string.Join(", ", family == AddressFamily.InterNetwork ? Ipv4 : Ipv6)} (pool '{Name}')";
}

/// <summary>
/// Which ranges an ordinary user's networks may take: inside an address pool that applies to them. Administrators
/// may take any range. Pools are policy, not objects a token reaches, so a token's selector does not narrow them.
/// </summary>
public sealed class AddressPoolPolicy(KindReader reader, ITakenRanges taken)
{
    public async Task<IReadOnlyList<ApplicablePool>> ForAsync(Actor actor, CancellationToken ct)
    {
        var owners = actor.ReadableOwners.ToList();
        var pools = await reader.SpecsAsync<AddressPoolSpec>(Kinds.AddressPools, ct,
            r => r.DeletionRequestedAt == null && !r.IsSystem && owners.Contains(r.Owner));
        return pools.OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => new ApplicablePool(p.Name, p.Owner, Parse(p.Spec.Ipv4, AddressFamily.InterNetwork), Parse(p.Spec.Ipv6, AddressFamily.InterNetworkV6)))
            .ToList();
    }

    private static List<IPNetwork> Parse(IReadOnlyList<string> ranges, AddressFamily family) =>
        ranges.Select(r => IpRanges.TryParse(r, family, out var range, out _) ? range : (IPNetwork?)null).OfType<IPNetwork>().ToList();

    /// <summary>Adds an error (on its field) for each range that lies outside every pool the actor has.</summary>
    public async Task CheckAsync(IReadOnlyList<(string Field, IPNetwork Range)> ranges, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        if (actor.IsAdmin || ranges.Count == 0) return;
        var pools = await ForAsync(actor, ct);
        foreach (var (field, range) in ranges) Check(field, range, range.BaseAddress.AddressFamily, pools, errors);
    }

    private static void Check(string field, IPNetwork range, AddressFamily family, IReadOnlyList<ApplicablePool> pools, ValidationErrors errors)
    {
        var version = family == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
        var offering = pools.Where(p => (family == AddressFamily.InterNetwork ? p.Ipv4 : p.Ipv6).Count > 0).ToList();
        if (offering.Count == 0)
        {
            errors.Add(field, $"No address pool gives you an {version} range, so you cannot use {range}. Ask an administrator for an address pool.");
            return;
        }
        if (offering.Any(p => (family == AddressFamily.InterNetwork ? p.Ipv4 : p.Ipv6).Any(r => IpRanges.Inside(range, r)))) return;
        errors.Add(field, $"{range} is outside the {version} ranges you may use: {string.Join("; ", offering.Select(p => p.Describe(family)))}. "
            + "Pick one inside them, or ask an administrator for an address pool.");
    }

    /// <summary>
    /// A free IPv4 /24 and IPv6 /64 inside the actor's pools (any pool's first range for administrators with none):
    /// not used by another Kraut network nor by the host. Null where none is found quickly.
    /// </summary>
    public async Task<(string? Ipv4, string? Ipv6)> SuggestAsync(Actor actor, CancellationToken ct)
    {
        var pools = await ForAsync(actor, ct);
        var used = await taken.TakenAsync(ct);
        return (FirstFree(pools.SelectMany(p => p.Ipv4), 24, used), FirstFree(pools.SelectMany(p => p.Ipv6), 64, used));
    }

    /// <summary>The first block of <paramref name="length"/> bits inside the ranges that overlaps nothing taken; looks at a bounded number.</summary>
    private static string? FirstFree(IEnumerable<IPNetwork> ranges, int length, IReadOnlyList<IPNetwork> taken)
    {
        const int maxTries = 4096;
        foreach (var range in ranges.Where(r => r.PrefixLength <= length))
        {
            var bits = range.BaseAddress.GetAddressBytes().Length * 8;
            var start = ToNumber(range.BaseAddress);
            var count = range.PrefixLength + 12 < length ? maxTries : 1 << (length - range.PrefixLength);
            for (var i = 0; i < count; i++)
            {
                var candidate = new IPNetwork(ToAddress(start + ((UInt128)(uint)i << (bits - length)), bits), length);
                if (!taken.Any(t => IpRanges.Overlaps(t, candidate))) return candidate.ToString();
            }
        }
        return null;
    }

    private static UInt128 ToNumber(IPAddress address)
    {
        UInt128 value = 0;
        foreach (var b in address.GetAddressBytes()) value = (value << 8) | b;
        return value;
    }

    private static IPAddress ToAddress(UInt128 value, int bits)
    {
        var bytes = new byte[bits / 8];
        for (var i = bytes.Length - 1; i >= 0; i--, value >>= 8) bytes[i] = (byte)(value & 0xff);
        return new IPAddress(bytes);
    }
}
