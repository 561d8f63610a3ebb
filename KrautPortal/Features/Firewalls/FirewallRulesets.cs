using System.Net.Sockets;
using System.Runtime.CompilerServices;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;
using KrautPortal.Hypervisor.Routers;

namespace KrautPortal.Features.Firewalls;

/// <summary>What a router of a network should run: the network's firewall (if any), which version, and its rendered ruleset.</summary>
public sealed record DesiredRuleset(Guid NetworkId, Guid? FirewallId, long? FirewallVersion, RenderedRuleset Ruleset);

public sealed record NetworkRulesetPreview(Guid NetworkId, string NetworkName, Guid? RouterId, string Ruleset, string Hash,
    IReadOnlyList<string> Notes, string? LoadedHash, string? LoadedRuleset, bool SameAsLoaded, string Diff, string? Message);

/// <summary>A preview: per attached network, the exact text a router would load and how it differs from what it runs.</summary>
public sealed record FirewallPreview(Guid FirewallId, long Version, bool Draft, IReadOnlyList<NetworkRulesetPreview> Networks);

public sealed record RuleCounterView(Guid Id, long Packets, long Bytes, long LimitedPackets, bool Loaded);

public sealed record NetworkCounters(Guid NetworkId, string NetworkName, Guid? RouterId, IReadOnlyList<RuleCounterView> Rules,
    IReadOnlyList<RuleCounterView> Forwards, IReadOnlyDictionary<string, RuleCounter> Defaults, string? Message);

public sealed record NetworkRouterStatus(Guid NetworkId, string NetworkName, RouterApplyStatus? Router, string? Message);

/// <summary>
/// The one path from a firewall to router rulesets: routers render what they apply with <see cref="DesiredAsync"/>, and
/// preview renders the same way, so what is previewed is byte for byte what is applied. Previews, counters and router
/// states are read with the caller's right to read the firewall, as GET would.
/// </summary>
public sealed class FirewallRulesets(
    ResourceService<FirewallSpec, FirewallStatus> firewalls,
    IResourceRules<FirewallSpec, FirewallStatus> rules,
    FirewallResolver resolver,
    IRulesetRenderer renderer,
    IEnumerable<IRouterRulesets> routers,
    KindReader reader,
    IActorAccessor actors)
{
    public const string NoRouter = "This network has no router yet; the preview uses its subnet and no upstream address.";

    private IRouterRulesets? Routers => routers.LastOrDefault();

    /// <summary>For the router of <paramref name="networkId"/>: its firewall rendered for <paramref name="legs"/>. No authorization: Kraut's own work.</summary>
    public async Task<DesiredRuleset> DesiredAsync(Guid networkId, RouterLegs legs, IReadOnlyList<string> geekModeSourceCidrs, CancellationToken ct)
    {
        var resolved = await resolver.ResolveAsync(networkId, geekModeSourceCidrs, ct);
        return new DesiredRuleset(networkId, resolved.FirewallId, resolved.FirewallVersion, renderer.Render(legs, resolved.Resolved));
    }

    /// <summary>Renders the saved firewall, or <paramref name="draft"/> (validated as a write would, not saved), for each network.</summary>
    public async Task<FirewallPreview> PreviewAsync(Guid id, FirewallSpec? draft, CancellationToken ct)
    {
        var firewall = await firewalls.GetAsync(id, ct);
        var spec = firewall.Spec;
        if (draft is not null)
        {
            var actor = actors.Current;
            var errors = new ValidationErrors();
            spec = await rules.PrepareAsync(draft, firewall, actor, errors, ct);
            errors.ThrowIfAny();
            if (rules is ITransactionalRules<FirewallSpec> transactional) spec = await transactional.WritingAsync(id, spec, firewall.Spec, actor, errors, ct);
            errors.ThrowIfAny();
        }

        var previews = new List<NetworkRulesetPreview>();
        await foreach (var network in NetworksOfAsync(spec, ct))
        {
            var networkId = network.Id;
            var router = Routers is { } r ? await r.RouterOnAsync(networkId, ct) : null;
            var legs = router?.Legs ?? DefaultLegs.For(network.Spec);
            var resolved = await resolver.ResolveAsync(spec, firewall.Owner, networkId, router?.GeekModeSourceCidrs ?? [], ct);
            var rendered = renderer.Render(legs, resolved);
            string? message = router is null ? NoRouter : null;
            // The resolver applies only a firewall of the network's own owner (a group's network, a person's firewall: not applied).
            if (network.Owner != firewall.Owner)
                message = $"Network '{network.Name}' belongs to {network.Owner} and this firewall to {firewall.Owner}: its router does not apply it. "
                    + $"Give the network a firewall owned by {network.Owner}.";
            LoadedRuleset? loaded = null;
            if (router is not null)
            {
                try
                {
                    loaded = await Routers!.LoadedAsync(networkId, ct);
                    if (loaded is null) message = "The router has loaded no ruleset yet.";
                }
                catch (Exception e) when (Unreachable(e))
                {
                    message = "The router did not say what it runs: " + e.Message;
                }
            }
            previews.Add(new NetworkRulesetPreview(networkId, network.Name, router?.RouterId, rendered.Text, rendered.Hash, rendered.Notes,
                loaded?.Hash, loaded?.Text, loaded?.Hash == rendered.Hash, LineDiff.Unified(loaded?.Text ?? "", rendered.Text), message));
        }
        return new FirewallPreview(firewall.Id, firewall.Version, draft is not null, previews);
    }

    /// <summary>Per attached network with a router: each rule's and forward's counters, as the router counts them now.</summary>
    public async Task<IReadOnlyList<NetworkCounters>> CountersAsync(Guid id, CancellationToken ct)
    {
        var firewall = await firewalls.GetAsync(id, ct);
        var result = new List<NetworkCounters>();
        await foreach (var network in NetworksOfAsync(firewall.Spec, ct))
        {
            var networkId = network.Id;
            var router = Routers is { } r ? await r.RouterOnAsync(networkId, ct) : null;
            IReadOnlyDictionary<string, RuleCounter> counters = new Dictionary<string, RuleCounter>();
            string? message = router is null ? "No router on this network." : null;
            if (router is not null)
            {
                try
                {
                    counters = await Routers!.CountersJsonAsync(networkId, ct) is { } json ? NftCounters.Parse(json) : counters;
                }
                catch (Exception e) when (Unreachable(e) || e is FormatException or System.Text.Json.JsonException)
                {
                    message = "The router did not give its counters: " + e.Message;
                }
            }
            RuleCounterView View(Guid ruleId, string key)
            {
                var hit = counters.TryGetValue(key, out var c);
                var limited = counters.TryGetValue(key + ":limit", out var l) ? l.Packets : 0;
                return new RuleCounterView(ruleId, c?.Packets ?? 0, c?.Bytes ?? 0, limited, hit);
            }
            result.Add(new NetworkCounters(networkId, network.Name, router?.RouterId,
                firewall.Spec.Rules.Select(rule => View(rule.Id, rule.Id.ToString())).ToList(),
                firewall.Spec.Forwards.Select(f => View(f.Id, $"fwd:{f.Id}")).ToList(),
                counters.Where(c => c.Key.StartsWith("default:", StringComparison.Ordinal)).ToDictionary(c => c.Key["default:".Length..], c => c.Value),
                message));
        }
        return result;
    }

    /// <summary>Per attached network: how its router's last apply went, or that it has none.</summary>
    public async Task<IReadOnlyList<NetworkRouterStatus>> RoutersAsync(Guid id, CancellationToken ct)
    {
        var firewall = await firewalls.GetAsync(id, ct);
        var result = new List<NetworkRouterStatus>();
        await foreach (var network in NetworksOfAsync(firewall.Spec, ct))
        {
            var networkId = network.Id;
            var status = Routers is { } r ? await r.StatusAsync(networkId, ct) : null;
            result.Add(new NetworkRouterStatus(networkId, network.Name, status, status is null ? "No router on this network." : null));
        }
        return result;
    }

    /// <summary>The networks <paramref name="spec"/> is attached to that still exist (one deleted meanwhile is left out).</summary>
    private async IAsyncEnumerable<Resource<NetworkSpec, NetworkStatus>> NetworksOfAsync(FirewallSpec spec, [EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var networkId in spec.NetworkIds)
        {
            if (await reader.FindAsync<NetworkSpec, NetworkStatus>(Kinds.Networks, networkId, ct) is { } network) yield return network;
        }
    }

    private static bool Unreachable(Exception e) => e is RouterAgentException or IOException or TimeoutException or SocketException;
}
