using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Networks.Ipam;

/// <summary>The network a NIC is on, as IPAM needs it.</summary>
public sealed record IpamNetwork(Guid Id, string Name, AddressPlan Plan);

/// <summary>
/// Hands out IP addresses and MACs to NICs. The database's keys keep them unique: an allocation inserts a candidate
/// and, when the key is taken, tries the next one; the set of taken addresses read first is only a hint for where to
/// start. Runs inside the VM write's transaction (see <see cref="ResourceStore.InTransactionAsync{T}"/>), so a VM
/// record and its allocations change together.
/// </summary>
public sealed class IpamService(DbSession session, DatabaseProvider provider)
{
    private KrautDbContext db => session.Db;

    private const int MaxMacAttempts = 20;

    /// <summary>Gives <paramref name="nic"/> its MAC and addresses: the requested ones as reservations, or free ones.</summary>
    public async Task<MemberNic> AssignAsync(Guid vmId, MemberNic nic, IpamNetwork network, string field, ValidationErrors errors, CancellationToken ct)
    {
        var mac = await EnsureMacAsync(vmId, nic, field, errors, ct);
        // One allocating transaction per network at a time: the taken set read below stays true, and the network's
        // cursor row is not inserted twice (PostgreSQL; on SQLite writers take turns anyway). The unique keys still decide.
        if (network.Plan.Ipv4 is not null || network.Plan.Ipv6Allocated) await db.LockForTransactionAsync("ipam:" + network.Id.ToString("N"), ct);
        var ipv4 = network.Plan.Ipv4 is null ? null
            : await EnsureAddressAsync(vmId, nic, network, IpFamily.Ipv4, nic.Ipv4Address, $"{field}.ipv4Address", errors, ct);
        var ipv6 = !network.Plan.Ipv6Allocated ? null
            : await EnsureAddressAsync(vmId, nic, network, IpFamily.Ipv6, nic.Ipv6Address, $"{field}.ipv6Address", errors, ct);
        return nic with { Mac = mac, Ipv4Address = ipv4, Ipv6Address = ipv6 };
    }

    /// <summary>Frees what the VM's NICs not in <paramref name="keptNics"/> hold (all of them when empty).</summary>
    public async Task ReleaseAsync(Guid vmId, IReadOnlyCollection<Guid> keptNics, CancellationToken ct)
    {
        await db.IpAllocations.Where(a => a.VmId == vmId && !keptNics.Contains(a.NicId)).ExecuteDeleteAsync(ct);
        await db.MacAllocations.Where(a => a.VmId == vmId && !keptNics.Contains(a.NicId)).ExecuteDeleteAsync(ct);
    }

    private async Task<string?> EnsureMacAsync(Guid vmId, MemberNic nic, string field, ValidationErrors errors, CancellationToken ct)
    {
        var held = await db.MacAllocations.AsNoTracking().FirstOrDefaultAsync(a => a.NicId == nic.Id, ct);
        var requested = nic.Mac?.ToLowerInvariant();
        if (held is not null && (requested is null || requested == held.Mac)) return held.Mac;
        if (held is not null) await db.MacAllocations.Where(a => a.NicId == nic.Id).ExecuteDeleteAsync(ct);
        for (var attempt = 0; attempt < MaxMacAttempts; attempt++)
        {
            var mac = requested ?? MacAddresses.NewMac();
            if (await TryInsertAsync(new MacAllocationRow { Mac = mac, NicId = nic.Id, VmId = vmId }, ct)) return mac;
            if (requested is not null)
            {
                errors.Add($"{field}.mac", $"MAC {mac} is already used by another NIC; leave it empty to get a free one.");
                return requested;
            }
        }
        throw new ConflictException("No free MAC address was found; try again.");
    }

    private async Task<string?> EnsureAddressAsync(Guid vmId, MemberNic nic, IpamNetwork network, IpFamily family, string? requestedText,
        string field, ValidationErrors errors, CancellationToken ct)
    {
        UInt128? requested = null;
        if (!string.IsNullOrWhiteSpace(requestedText))
        {
            if (!AddressPlan.TryParse(family, requestedText, out var parsed))
            {
                errors.Add(field, $"'{requestedText}' is not an {Describe(family)} address.");
                return requestedText;
            }
            requested = parsed;
        }
        var held = await db.IpAllocations.AsNoTracking().FirstOrDefaultAsync(a => a.NicId == nic.Id && a.Family == (int)family, ct);
        if (held is not null)
        {
            var same = held.NetworkId == network.Id && (requested is null || AddressPlan.Format(family, requested.Value) == held.Address);
            if (same) return held.Address;
            await db.IpAllocations.Where(a => a.NicId == nic.Id && a.Family == (int)family).ExecuteDeleteAsync(ct);
        }
        return requested is { } wanted
            ? await ReserveAsync(vmId, nic, network, family, wanted, field, errors, ct)
            : await AllocateAsync(vmId, nic, network, family, ct);
    }

    private async Task<string> ReserveAsync(Guid vmId, MemberNic nic, IpamNetwork network, IpFamily family, UInt128 wanted, string field,
        ValidationErrors errors, CancellationToken ct)
    {
        var text = AddressPlan.Format(family, wanted);
        if (network.Plan.WhyNotAssignable(family, wanted) is { } why)
        {
            errors.Add(field, NotAssignable(text, network, why));
            return text;
        }
        if (!await TryInsertAsync(Row(vmId, nic, network, family, text), ct))
            errors.Add(field, InUse(text, network));
        return text;
    }

    /// <summary>
    /// Why a new NIC could not have <paramref name="requestedText"/> on <paramref name="network"/>, in the words creating it
    /// would use; null when it could. Reserves nothing: someone may still take the address before the create.
    /// </summary>
    public async Task<string?> WhyNotReservableAsync(IpamNetwork network, IpFamily family, string requestedText, CancellationToken ct)
    {
        if (!AddressPlan.TryParse(family, requestedText.Trim(), out var wanted)) return $"'{requestedText}' is not an {Describe(family)} address.";
        var text = AddressPlan.Format(family, wanted);
        if (network.Plan.WhyNotAssignable(family, wanted) is { } why) return NotAssignable(text, network, why);
        var taken = await db.IpAllocations.AsNoTracking().AnyAsync(a => a.NetworkId == network.Id && a.Family == (int)family && a.Address == text, ct);
        return taken ? InUse(text, network) : null;
    }

    private static string NotAssignable(string text, IpamNetwork network, string why) => $"{text} cannot be used on network '{network.Name}': {why}";

    private static string InUse(string text, IpamNetwork network) =>
        $"{text} is already in use on network '{network.Name}'; pick another address or leave it empty to get a free one.";

    private async Task<string> AllocateAsync(Guid vmId, MemberNic nic, IpamNetwork network, IpFamily family, CancellationToken ct)
    {
        var taken = (await db.IpAllocations.AsNoTracking().Where(a => a.NetworkId == network.Id && a.Family == (int)family)
            .Select(a => a.Address).ToListAsync(ct)).ToHashSet();
        var cursor = await CursorAsync(network.Id, family, ct);
        foreach (var candidate in network.Plan.Candidates(family, cursor?.Next))
        {
            var text = AddressPlan.Format(family, candidate);
            if (taken.Contains(text)) continue;
            // Another writer may have taken it since the read; the key decides, and the loop moves on.
            if (!await TryInsertAsync(Row(vmId, nic, network, family, text), ct)) continue;
            await AdvanceAsync(cursor, network.Id, family, candidate + 1, ct);
            return text;
        }
        throw new ConflictException($"Network '{network.Name}' has no free {Describe(family)} address left: every assignable address "
            + "is in use. Remove NICs from it, shrink its excluded ranges, or use another network.");
    }

    /// <summary>
    /// Where the next search starts: after the last address handed out, wrapping around. A freed address is thus
    /// not given to the next NIC at once: the host's dnsmasq still holds the old NIC's lease on it and would refuse
    /// the new NIC's reservation until that lease ran out (the guest would get no address at all).
    /// </summary>
    private async Task<(SettingRow? Row, UInt128 Next)?> CursorAsync(Guid networkId, IpFamily family, CancellationToken ct)
    {
        var row = await db.Settings.FindAsync([CursorKey(networkId, family)], ct);
        return row is not null && UInt128.TryParse(row.Value, System.Globalization.CultureInfo.InvariantCulture, out var next) ? (row, next) : null;
    }

    private async Task AdvanceAsync((SettingRow? Row, UInt128 Next)? cursor, Guid networkId, IpFamily family, UInt128 next, CancellationToken ct)
    {
        var value = next.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (cursor?.Row is { } row) row.Value = value;
        else db.Settings.Add(new SettingRow { Key = CursorKey(networkId, family), Value = value });
        await db.SaveChangesAsync(ct);
    }

    private static string CursorKey(Guid networkId, IpFamily family) => $"ipam-next:{networkId:N}:{family}";

    private static IpAllocationRow Row(Guid vmId, MemberNic nic, IpamNetwork network, IpFamily family, string address) =>
        new() { NetworkId = network.Id, Address = address, Family = (int)family, NicId = nic.Id, VmId = vmId };

    /// <summary>Inserts one row; false when a unique key refused it (the row is then forgotten, nothing else is).</summary>
    private async Task<bool> TryInsertAsync(object row, CancellationToken ct)
    {
        var entry = db.Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException e) when (provider.IsUniqueViolation(e))
        {
            return false;
        }
        finally
        {
            entry.State = EntityState.Detached;
        }
    }

    private static string Describe(IpFamily family) => family == IpFamily.Ipv4 ? "IPv4" : "IPv6";
}
