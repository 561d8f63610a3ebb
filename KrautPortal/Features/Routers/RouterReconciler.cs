using System.Collections.Concurrent;
using KrautPortal.Features.Firewalls;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.SshKeys;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor.Routers;

namespace KrautPortal.Features.Routers;

/// <summary>
/// Turns each router record into a running router VM with its ruleset provably in force: the VM (a system object of the
/// router's owner) is made and kept right, the firewall is rendered and handed to the router's agent whenever the hash it
/// reports differs from the desired one (a recreated VM reports none), geek mode's keys follow the owner's profile, and
/// the status says what is in force. Every pass starts from the records, so a portal restart mid-apply converges.
/// </summary>
public sealed class RouterReconciler(
    IServiceScopeFactory scopes,
    ChangeFeed feed,
    IRouterAgent agent,
    KrautPaths paths,
    RouterUplink uplink,
    VmReconciler vmReconciler,
    TimeProvider time,
    ILogger<RouterReconciler> logger) : ReconcileLoop(logger, workers: 2)
{
    /// <summary>How long one agent question may take; a router under TCG answers in well under a second once booted.</summary>
    internal static readonly TimeSpan AgentTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long loading a ruleset may take: checking and loading a few hundred rules under TCG takes seconds.</summary>
    internal static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How soon to look again while the router VM boots or its agent does not answer yet.</summary>
    internal static readonly TimeSpan BootRecheck = TimeSpan.FromSeconds(3);

    /// <summary>What each router refers to, so a change of a network or VM wakes only the routers it concerns.</summary>
    private readonly ConcurrentDictionary<Guid, RouterRefs> _known = new();

    /// <summary>The last ruleset each router refused (by hash): not sent again until it changes or a drift pass asks.</summary>
    private readonly ConcurrentDictionary<Guid, string> _refused = new();

    /// <summary>The geek-mode keys each router's agent was last given (a hash of them), so unchanged keys are not sent again.</summary>
    private readonly ConcurrentDictionary<Guid, string> _keysSent = new();

    private IDisposable? _subscription;

    private sealed record RouterRefs(Guid NetworkId, Guid? UpstreamId, Guid? VmId, bool GeekMode);

    /// <summary>Drift: loaded hash, tables, a VM that went away. Also picks up changed profile keys.</summary>
    protected override TimeSpan? PollInterval => TimeSpan.FromSeconds(30);

    protected override Task<string?> OwnerKeyAsync(Guid id, CancellationToken ct) => Task.FromResult<string?>(OwnerKeys.Routers);

    protected override async Task StartupAsync(CancellationToken ct)
    {
        _subscription = feed.Subscribe(OnChange);
        await using var scope = scopes.CreateAsyncScope();
        var reader = scope.ServiceProvider.GetRequiredService<KindReader>();
        var routers = (await reader.IdsAsync(Kinds.Routers, ct)).ToHashSet();
        foreach (var id in routers) Enqueue(id, ensure: true);
        // A router VM whose router is gone (removed while the portal was down) goes too.
        var vms = scope.ServiceProvider.GetRequiredService<ResourceService<VmSpec, VmStatus>>().AsKraut();
        foreach (var vm in await RouterVmMarker.AllAsync(reader, ct))
        {
            if (RouterVmMarker.RouterIdOf(vm) is { } routerId && !routers.Contains(routerId) && vm.DeletionRequestedAt is null)
            {
                logger.LogWarning("Removing router VM {Vm}: its router {Router} no longer exists", vm.Id, routerId);
                await vms.DeleteAsync(vm.Id, null, ct);
            }
        }
    }

    protected override async Task PollAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        foreach (var id in await scope.ServiceProvider.GetRequiredService<KindReader>().IdsAsync(Kinds.Routers, ct)) Enqueue(id, ensure: true);
    }

    /// <summary>Wakes the routers a change concerns. Runs on the writer's thread: no reads, only queueing.</summary>
    private void OnChange(ResourceChange change)
    {
        if (change.Kind == Kinds.Routers.Name)
        {
            Enqueue(change.Id, ensure: false);
        }
        else if (change.Kind == Kinds.Networks.Name)
        {
            foreach (var (id, refs) in _known)
                if (refs.NetworkId == change.Id || refs.UpstreamId == change.Id) Enqueue(id, ensure: false);
        }
        else if (change.Kind == Kinds.Vms.Name || change.Kind == Kinds.Firewalls.Name)
        {
            // Any VM may match a firewall's selector or be a forward's target, so every router renders again (cheap:
            // the agent is only asked when the hash moved); its own VM changing is among them.
            foreach (var id in _known.Keys) Enqueue(id, ensure: false);
        }
        else if (change.Kind == SshKeyService.ChangeKind)
        {
            foreach (var (id, refs) in _known)
                if (refs.GeekMode) Enqueue(id, ensure: false);
        }
    }

    protected override async Task<TimeSpan?> ReconcileAsync(Guid id, bool ensure, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var store = services.GetRequiredService<ResourceStore>();
        var reader = services.GetRequiredService<KindReader>();
        var row = await store.FindAsync(Kinds.Routers.Name, id, Actor.System, ct);
        if (row is null)
        {
            Forget(id);
            return null;
        }
        var router = Resource<RouterSpec, RouterStatus>.FromRow(row);
        var writer = new StatusWriter<RouterStatus>(store, Kinds.Routers, id, router.Status,
            (next, current) => next with { ObservedAt = current.ObservedAt } == current);
        var network = await reader.FindAsync<NetworkSpec, NetworkStatus>(Kinds.Networks, router.Spec.NetworkId, ct);
        var vm = writer.Current.VmId is { } vmId ? await reader.FindAsync<VmSpec, VmStatus>(Kinds.Vms, vmId, ct) : null;
        _known[id] = new RouterRefs(router.Spec.NetworkId, router.Spec.UpstreamNetworkId ?? writer.Current.UpstreamNetworkId, vm?.Id, router.Spec.GeekMode.Enabled);

        // Switched off, or the network it serves is going: the VM goes first, then the router.
        if (router.DeletionRequestedAt is not null || network is null || network.DeletionRequestedAt is not null)
            return await TearDownAsync(router, vm, writer, store, services, ct);

        try
        {
            var vms = services.GetRequiredService<ResourceService<VmSpec, VmStatus>>().AsKraut();
            // Nothing is made (not even the uplink) for a router that cannot have a VM.
            if (vm is null && (await RouterApplianceRegistry.FindAsync(reader, ct)).Problem is { } missing) throw new RouterException(missing);
            var upstreamId = router.Spec.UpstreamNetworkId ?? await uplink.EnsureAsync(services, ct);
            _known[id] = _known[id] with { UpstreamId = upstreamId };
            vm = await EnsureVmAsync(router, network, upstreamId, vm, vms, writer, services, ct);
            _known[id] = _known[id] with { VmId = vm.Id };
            var legs = Legs(vm, network);
            await writer.WriteAsync(s => s with
            {
                VmId = vm.Id,
                UpstreamNetworkId = upstreamId,
                Address = legs.Routed?.Ipv4Address,
                UpstreamAddress = legs.Upstream?.Ipv4Address,
            }, ct);

            var desired = await DesiredAsync(router, network, vm, services, ct);
            await writer.WriteAsync(s => s with
            {
                FirewallId = desired.FirewallId,
                DesiredFirewallVersion = desired.FirewallVersion,
                DesiredHash = desired.Ruleset.Hash,
            }, ct);

            if (vm.Status.Phase != VmPhase.Running) return await WaitForVmAsync(id, vm, writer, ct);
            return await ConvergeAgentAsync(router, vm, desired, ensure, writer, services, ct);
        }
        catch (Exception e) when (e is RouterException or ValidationException or ConflictException)
        {
            await writer.WriteAsync(s => s with { Phase = RouterPhase.Failed, Message = e.Message, ObservedAt = Now() }, ct);
            // Something a person must change (a pool, a network); their change wakes the router, the poll looks again too.
            return null;
        }
    }

    private async Task<Resource<VmSpec, VmStatus>> EnsureVmAsync(Resource<RouterSpec, RouterStatus> router, Resource<NetworkSpec, NetworkStatus> network,
        Guid upstreamId, Resource<VmSpec, VmStatus>? vm, ResourceService<VmSpec, VmStatus> vms, StatusWriter<RouterStatus> writer,
        IServiceProvider services, CancellationToken ct)
    {
        if (vm is null)
        {
            // The id is recorded before the VM is made, so a crash in between finds (or makes) the same VM, never a second.
            if (writer.Current.VmId is null) await writer.WriteAsync(s => s with { VmId = Guid.CreateVersion7() }, ct);
            await writer.WriteAsync(s => s with { Phase = RouterPhase.Building, Message = "Making the router VM.", AppliedHash = null, AppliedAt = null }, ct);
            var lookup = await RouterApplianceRegistry.FindAsync(services.GetRequiredService<KindReader>(), ct);
            var parts = lookup.Parts ?? throw new RouterException(lookup.Problem ?? RouterApplianceRegistry.NotInstalled);
            var spec = new VmSpec
            {
                ImageId = parts.ImageId,
                MachineTypeId = parts.MachineTypeId,
                Vcpus = parts.Vcpus,
                MemoryMiB = parts.MemoryMiB,
                Hostname = "kraut-router",
                Nics = [new VmNic { NetworkId = upstreamId }, new VmNic { NetworkId = network.Id }],
            };
            logger.LogInformation("Making router VM {Vm} for router {Router} on network {Network}", writer.Current.VmId, router.Id, network.Id);
            return await vms.CreateAsync(new ResourceInput<VmSpec>(VmName(router.Id), RouterVmMarker.Metadata(router.Id), spec, router.Owner),
                ct, isSystem: true, id: writer.Current.VmId);
        }
        var nics = vm.Spec.Nics;
        if (vm.DeletionRequestedAt is null && nics.Count > RouterVmMarker.UpstreamNic && nics[RouterVmMarker.UpstreamNic].NetworkId != upstreamId)
        {
            // A new upstream leg in the same place (eth0), then a cold restart: a hot-plugged NIC would come up under another name.
            logger.LogInformation("Router {Router}: upstream leg moves to network {Upstream}", router.Id, upstreamId);
            await writer.WriteAsync(s => s with { Phase = RouterPhase.Building, Message = "Moving the upstream leg; the router VM restarts.", AppliedHash = null, AppliedAt = null }, ct);
            vm = await vms.UpdateSpecAsync(vm.Id, null, s => s with
            {
                Nics = [new VmNic { NetworkId = upstreamId }, .. s.Nics.Skip(1)],
                ForceOffGeneration = s.ForceOffGeneration + 1,
            }, "router: upstream changed", ct);
        }
        return vm;
    }

    internal static string VmName(Guid routerId) => "kraut-router-" + routerId.ToString("N");

    private static (VmNic? Upstream, VmNic? Routed) Legs(Resource<VmSpec, VmStatus> vm, Resource<NetworkSpec, NetworkStatus> network) =>
        (vm.Spec.Nics.ElementAtOrDefault(RouterVmMarker.UpstreamNic), RouterVmMarker.RoutedNicOn(vm, network.Id));

    private sealed record Desired(Guid? FirewallId, long? FirewallVersion, RenderedRuleset Ruleset);

    /// <summary>The ruleset the router should run now: its network's firewall (or defaults only) resolved and rendered.</summary>
    private static async Task<Desired> DesiredAsync(Resource<RouterSpec, RouterStatus> router, Resource<NetworkSpec, NetworkStatus> network,
        Resource<VmSpec, VmStatus> vm, IServiceProvider services, CancellationToken ct)
    {
        // The same path a preview takes, with the same legs: what is previewed is byte for byte what is applied.
        var target = RouterRulesets.Target(router, network, vm);
        var desired = await services.GetRequiredService<FirewallRulesets>().DesiredAsync(network.Id, target.Legs, target.GeekModeSourceCidrs, ct);
        return new Desired(desired.FirewallId, desired.FirewallVersion, desired.Ruleset);
    }

    private async Task<TimeSpan?> WaitForVmAsync(Guid id, Resource<VmSpec, VmStatus> vm, StatusWriter<RouterStatus> writer, CancellationToken ct)
    {
        var phase = vm.Status.Phase;
        string message;
        if (vm.DeletionRequestedAt is not null)
        {
            message = "The router VM is being removed.";
        }
        else if (phase is VmPhase.Missing or VmPhase.Stopped or VmPhase.Crashed)
        {
            // Stopped, killed or undefined behind Kraut's back: the VM reconciler is told to act, which brings it back.
            vmReconciler.Enqueue(vm.Id, ensure: true);
            message = $"The router VM was {phase.ToString().ToLowerInvariant()} outside Kraut; bringing it back.";
        }
        else if (phase == VmPhase.Failed)
        {
            message = "The router VM failed: " + (vm.Status.LastError ?? "see its status.");
        }
        else
        {
            message = "The router VM is starting.";
        }
        // Nothing is in force on a router that is not running; a fresh boot loads the ruleset again.
        await writer.WriteAsync(s => s with
        {
            Phase = phase == VmPhase.Failed ? RouterPhase.Failed : phase is VmPhase.Pending or VmPhase.Creating ? RouterPhase.Building : RouterPhase.Starting,
            Message = message,
            AppliedHash = null,
            AppliedFirewallVersion = null,
            AppliedAt = null,
            GeekModeActive = false,
            ObservedAt = Now(),
        }, ct);
        _keysSent.TryRemove(id, out _);
        return BootRecheck;
    }

    /// <summary>Loads the desired ruleset where the router runs another (or none), sets geek mode's keys, reads the tables.</summary>
    private async Task<TimeSpan?> ConvergeAgentAsync(Resource<RouterSpec, RouterStatus> router, Resource<VmSpec, VmStatus> vm, Desired desired,
        bool ensure, StatusWriter<RouterStatus> writer, IServiceProvider services, CancellationToken ct)
    {
        var socket = paths.RouterAgentSocketFor(vm.Id);
        var id = router.Id;
        try
        {
            if (ensure || writer.Current.AppliedHash != desired.Ruleset.Hash)
            {
                var loaded = await CallAsync(c => agent.LoadedAsync(socket, c), ct);
                // A router that has loaded nothing was just (re)booted: its keys are gone too.
                if (loaded is null) _keysSent.TryRemove(id, out _);
                if (loaded?.Hash == desired.Ruleset.Hash)
                {
                    await RecordAppliedAsync(writer, desired, loaded.Hash, ct);
                }
                else if (_refused.TryGetValue(id, out var refused) && refused == desired.Ruleset.Hash && !ensure)
                {
                    // Refused already; the status says why, and the previous ruleset (if any) is still what runs.
                }
                else
                {
                    await ApplyAsync(id, socket, desired, loaded, writer, ct);
                }
            }

            var keys = router.Spec.GeekMode.Enabled
                ? (await services.GetRequiredService<SshKeyService>().ListAsync(router.Owner, ct)).Select(k => k.Key).ToList()
                : [];
            var keysHash = RulesetHash.Of(string.Join('\n', keys));
            // Not on every drift pass: handing the agent keys restarts its SSH server, which would cut the owner's sessions.
            // A rebooted router (nothing loaded, or seen down) and a portal restart forget what was sent, so it is sent again.
            if (!_keysSent.TryGetValue(id, out var sent) || sent != keysHash)
            {
                await CallAsync(async c => { await agent.SetSshKeysAsync(socket, keys, c); return true; }, ct);
                _keysSent[id] = keysHash;
            }

            var handMade = writer.Current.HandMadeTables;
            if (ensure || writer.Current.Phase != RouterPhase.Active)
                handMade = (await CallAsync(c => agent.TablesAsync(socket, c), ct)).Where(t => t != KrautTable).Order(StringComparer.Ordinal).ToList();
            await writer.WriteAsync(s => s with
            {
                Phase = s.AppliedHash is null ? RouterPhase.Failed : RouterPhase.Active,
                GeekModeActive = keys.Count > 0,
                HandMadeTables = handMade.SequenceEqual(s.HandMadeTables) ? s.HandMadeTables : handMade,
                ObservedVersion = router.Version,
                Message = Message(router, keys.Count, s),
                ObservedAt = Now(),
            }, ct);
            return null;
        }
        catch (AgentUnavailableException e)
        {
            await writer.WriteAsync(s => s with
            {
                Phase = s.AppliedHash is null ? RouterPhase.Starting : s.Phase,
                Message = "Waiting for the router's agent to answer (the router VM is booting): " + e.Message,
                ObservedAt = Now(),
            }, ct);
            return BootRecheck;
        }
    }

    private static string? Message(Resource<RouterSpec, RouterStatus> router, int keys, RouterStatus s)
    {
        if (s.ApplyError is not null) return null;
        if (router.Spec.GeekMode.Enabled && keys == 0) return "Geek mode is on, but the owner's profile has no SSH keys: nobody can log in.";
        return null;
    }

    private const string KrautTable = "inet kraut";

    private async Task ApplyAsync(Guid id, string socket, Desired desired, LoadedRuleset? loaded, StatusWriter<RouterStatus> writer, CancellationToken ct)
    {
        await writer.WriteAsync(s => s with { Phase = RouterPhase.Applying, Message = "Loading the ruleset." }, ct);
        string hash;
        try
        {
            // The agent answered just now (LOADED), so what fails here is its answer to this ruleset: nft refused it.
            // (Should the connection break instead, the drift pass sends it again: it ignores the refusal memory.)
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(ApplyTimeout);
            hash = await agent.ApplyAsync(socket, desired.Ruleset.Text, deadline.Token);
        }
        catch (Exception e) when (e is RouterAgentException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            _refused[id] = desired.Ruleset.Hash;
            var previous = loaded is null ? "Nothing of Kraut's is loaded on the router yet." : "The previous ruleset stays in force.";
            logger.LogWarning("Router {Router} refused ruleset {Hash}: {Message}", id, desired.Ruleset.Hash, e.Message);
            await writer.WriteAsync(s => s with
            {
                ApplyError = $"The router refused the ruleset{Version(desired)}: {e.Message.Trim().TrimEnd('.')}. {previous}",
                // What runs is what the router has loaded, whatever Kraut last believed.
                AppliedHash = loaded?.Hash,
                AppliedFirewallVersion = loaded?.Hash == s.AppliedHash ? s.AppliedFirewallVersion : null,
                AppliedAt = loaded?.Hash == s.AppliedHash ? s.AppliedAt : null,
            }, ct);
            return;
        }
        if (hash != desired.Ruleset.Hash)
        {
            await writer.WriteAsync(s => s with
            {
                ApplyError = $"The router reports {hash} as loaded, not the {desired.Ruleset.Hash} it was sent{Version(desired)}.",
                AppliedHash = hash,
                AppliedFirewallVersion = null,
                AppliedAt = Now(),
            }, ct);
            return;
        }
        _refused.TryRemove(id, out _);
        logger.LogInformation("Router {Router} runs ruleset {Hash}{Version}", id, hash, Version(desired));
        await RecordAppliedAsync(writer, desired, hash, ct, justLoaded: true);
    }

    private Task RecordAppliedAsync(StatusWriter<RouterStatus> writer, Desired desired, string hash, CancellationToken ct, bool justLoaded = false) =>
        writer.WriteAsync(s => s with
        {
            AppliedHash = hash,
            AppliedFirewallVersion = desired.FirewallVersion,
            // Loaded before (a restart of the portal, a drift pass): since when is what the status knew, or now if it knew nothing.
            AppliedAt = justLoaded || s.AppliedHash != hash || s.AppliedAt is null ? Now() : s.AppliedAt,
            ApplyError = null,
        }, ct);

    private static string Version(Desired desired) => desired.FirewallVersion is { } v ? $" (firewall version {v})" : " (default policies, no firewall)";

    /// <summary>One agent call with a deadline; not answering (booting, socket not there yet) is told apart from refusing.</summary>
    private static async Task<T> CallAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(AgentTimeout);
        try
        {
            return await call(deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new AgentUnavailableException($"no answer within {AgentTimeout.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is RouterAgentException or IOException or System.Net.Sockets.SocketException or TimeoutException or UnauthorizedAccessException)
        {
            throw new AgentUnavailableException(e.Message);
        }
    }

    private sealed class AgentUnavailableException(string message) : Exception(message);

    /// <summary>The router VM goes first (the VM reconciler removes its domain and disk), then the router's record.</summary>
    private async Task<TimeSpan?> TearDownAsync(Resource<RouterSpec, RouterStatus> router, Resource<VmSpec, VmStatus>? vm, StatusWriter<RouterStatus> writer,
        ResourceStore store, IServiceProvider services, CancellationToken ct)
    {
        await writer.WriteAsync(s => s with
        {
            Phase = RouterPhase.Deleting,
            Message = router.DeletionRequestedAt is null ? "The network is being deleted; its router goes with it." : "Switching the router off.",
        }, ct);
        if (vm is not null)
        {
            if (vm.DeletionRequestedAt is null)
            {
                logger.LogInformation("Removing router VM {Vm} of router {Router}", vm.Id, router.Id);
                await services.GetRequiredService<ResourceService<VmSpec, VmStatus>>().AsKraut().DeleteAsync(vm.Id, null, ct);
            }
            return TimeSpan.FromSeconds(1);
        }
        await store.DeleteAsync(Kinds.Routers.Name, router.Id, null, Actor.System, ct);
        Forget(router.Id);
        logger.LogInformation("Router {Router} removed", router.Id);
        return null;
    }

    private void Forget(Guid id)
    {
        _known.TryRemove(id, out _);
        _refused.TryRemove(id, out _);
        _keysSent.TryRemove(id, out _);
    }

    private DateTime Now() => time.GetUtcNow().UtcDateTime;

    public override void Dispose()
    {
        _subscription?.Dispose();
        base.Dispose();
    }
}
