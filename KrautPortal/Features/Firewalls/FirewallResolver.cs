using System.Net;
using System.Net.Sockets;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;
using KrautPortal.Features.Store.Selectors;
using KrautPortal.Features.Vms;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Firewalls;

/// <summary>A network's firewall (if any) with everything it names turned into addresses, as of now.</summary>
/// <param name="FirewallId">Null: no firewall on the network (default policies only).</param>
public sealed record NetworkFirewall(Guid NetworkId, Guid? FirewallId, long? FirewallVersion, ResolvedFirewall Resolved);

/// <summary>
/// Finds a network's firewall and resolves it for rendering: each selector to the current addresses of the firewall
/// owner's VMs whose metadata match it (addresses from their NICs' specs and those seen on them), each forward to its
/// VM's address on the network. Only the owner's own, non-system VMs count, whatever the selector says.
/// </summary>
public sealed class FirewallResolver(KindReader reader)
{
    /// <summary>The firewall attached to <paramref name="networkId"/>, or null. Only one of the network's owner counts.</summary>
    public async Task<Resource<FirewallSpec, FirewallStatus>?> FirewallOnAsync(Guid networkId, CancellationToken ct)
    {
        var network = await reader.FindAsync<NetworkSpec, NetworkStatus>(Kinds.Networks, networkId, ct);
        if (network is null) return null;
        var needle = "%" + networkId.ToString() + "%";
        var candidates = await reader.AllAsync<FirewallSpec, FirewallStatus>(Kinds.Firewalls, ct, r => EF.Functions.Like(r.Spec, needle));
        return candidates.Where(f => f.Spec.NetworkIds.Contains(networkId) && f.Owner == network.Owner)
            .OrderBy(f => f.CreatedAt).ThenBy(f => f.Id).FirstOrDefault();
    }

    /// <summary>The network's firewall, resolved; with none, a firewall of default policies only.</summary>
    public async Task<NetworkFirewall> ResolveAsync(Guid networkId, IReadOnlyList<string> geekModeSourceCidrs, CancellationToken ct)
    {
        var firewall = await FirewallOnAsync(networkId, ct);
        if (firewall is null)
            return new NetworkFirewall(networkId, null, null, new ResolvedFirewall(null, new Dictionary<string, IReadOnlyList<IPAddress>>(),
                new Dictionary<Guid, IPAddress?>(), geekModeSourceCidrs));
        return new NetworkFirewall(networkId, firewall.Id, firewall.Version,
            await ResolveAsync(firewall.Spec, firewall.Owner, networkId, geekModeSourceCidrs, ct));
    }

    /// <summary>Resolves <paramref name="spec"/> (saved or a draft) of <paramref name="owner"/> for the router of <paramref name="networkId"/>.</summary>
    public async Task<ResolvedFirewall> ResolveAsync(FirewallSpec spec, string owner, Guid networkId, IReadOnlyList<string> geekModeSourceCidrs, CancellationToken ct)
    {
        var vms = (await reader.AllAsync<VmSpec, VmStatus>(Kinds.Vms, ct, r => r.Owner == owner && !r.IsSystem))
            .Where(vm => vm.DeletionRequestedAt is null).OrderBy(vm => vm.Id).ToList();

        var selectors = spec.Rules.SelectMany(r => new[] { r.SourceSelector, r.DestinationSelector }).OfType<string>().Distinct(StringComparer.Ordinal);
        var selectorAddresses = new Dictionary<string, IReadOnlyList<IPAddress>>(StringComparer.Ordinal);
        foreach (var text in selectors)
        {
            Selector selector;
            try
            {
                selector = SelectorParser.Parse(text);
            }
            catch (SelectorParseException)
            {
                continue; // Validation refuses these; a stored one from an older parser matches nothing.
            }
            selectorAddresses[text] = vms.Where(vm => SelectorMatcher.Matches(selector, vm.Metadata))
                .SelectMany(AddressesOf).Distinct().OrderBy(a => a.AddressFamily).ThenBy(a => a.ToString(), StringComparer.Ordinal).ToList();
        }

        var targets = new Dictionary<Guid, IPAddress?>();
        foreach (var forward in spec.Forwards)
            targets[forward.VmId] = vms.FirstOrDefault(vm => vm.Id == forward.VmId) is { } vm ? Ipv4On(vm, networkId) : null;
        return new ResolvedFirewall(spec, selectorAddresses, targets, geekModeSourceCidrs);
    }

    /// <summary>Every usable address of a VM: its NICs' configured ones and those seen (link-local ones mean nothing to a router).</summary>
    private static IEnumerable<IPAddress> AddressesOf(Resource<VmSpec, VmStatus> vm)
    {
        var texts = vm.Spec.Nics.SelectMany(n => new[] { n.Ipv4Address, n.Ipv6Address })
            .Concat(vm.Status.Addresses.Select(a => a.Address));
        foreach (var text in texts)
            if (Parse(text) is { } address && !address.IsIPv6LinkLocal && !IPAddress.IsLoopback(address)) yield return address;
    }

    /// <summary>The VM's IPv4 address on the network: its NIC's configured one, else one seen on that NIC's MAC.</summary>
    private static IPAddress? Ipv4On(Resource<VmSpec, VmStatus> vm, Guid networkId)
    {
        foreach (var nic in vm.Spec.Nics.Where(n => n.NetworkId == networkId))
        {
            if (Parse(nic.Ipv4Address) is { AddressFamily: AddressFamily.InterNetwork } configured) return configured;
            var seen = vm.Status.Addresses.Where(a => nic.Mac is not null && string.Equals(a.Mac, nic.Mac, StringComparison.OrdinalIgnoreCase))
                .Select(a => Parse(a.Address)).FirstOrDefault(a => a?.AddressFamily == AddressFamily.InterNetwork);
            if (seen is not null) return seen;
        }
        return null;
    }

    private static IPAddress? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var bare = text.Split('/')[0].Trim();
        return IPAddress.TryParse(bare, out var address) ? address : null;
    }
}
