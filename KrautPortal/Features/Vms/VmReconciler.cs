using KrautPortal.Features.Auth;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Networks.Ipam;
using KrautPortal.Features.Store;
using KrautPortal.Hypervisor;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Vms;

/// <summary>
/// Drives libvirt towards each VM's spec and records what it saw. Every step is idempotent and the
/// database says where each VM lives before anything is created, so a crash at any point converges on restart.
/// </summary>
public sealed class VmReconciler(
    IServiceScopeFactory scopes,
    HostRegistry hosts,
    KrautPaths paths,
    KrautInstance instance,
    VmBuilder builder,
    VmVolumes volumes,
    VmMover mover,
    Networks.NetworkReconciler networkReconciler,
    IOptions<KrautOptions> options,
    TimeProvider time,
    ILogger<VmReconciler> logger) : ReconcileLoop(logger, workers: 4)
{
    private static readonly string Kind = Kinds.Vms.Name;
    private readonly List<IDisposable> _subscriptions = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, System.Diagnostics.Activity?> _awaitingFirstEvent = new();

    /// <summary>When libvirt last reported each domain reset (VIR_DOMAIN_EVENT_ID_REBOOT): the proof a requested reboot happened.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, DateTime> _rebootsSeen = new();

    /// <summary>
    /// How long a guest gets to react to the ACPI button before it is pressed again. A guest pressed while it
    /// still boots (its ACPI daemon not yet listening) ignores the press, and QEMU does not remember it.
    /// </summary>
    internal static readonly TimeSpan RebootRetryInterval = TimeSpan.FromSeconds(10);

    protected override TimeSpan? PollInterval => TimeSpan.FromSeconds(10);

    public override string? WatchedKind => Kind;

    /// <summary>Its host's key (one replica drives a libvirtd); unplaced, gone or leftover: the placing replica's.</summary>
    protected override async Task<string?> OwnerKeyAsync(Guid id, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var vm = await scope.ServiceProvider.GetRequiredService<KindReader>().FindAsync<VmSpec, VmStatus>(Kinds.Vms, id, ct);
        return vm?.Status.Host is { } host ? OwnerKeys.Host(host) : OwnerKeys.Placement;
    }

    protected override async Task StartupAsync(CancellationToken ct)
    {
        foreach (var host in hosts.Hosts)
        {
            host.Connected += (_, connection) => Listen(connection, ct);
            if (host.TryConnect()) Listen(host.Connection, ct);
        }
        // The facts requests are checked against (what each host runs, and how fast) are gathered here, not by a request.
        hosts.LearnFacts();
        // Every configured host gets an owner from the start, whether VMs are placed on it yet or not: its events and
        // leftovers need one replica, and a replica that dies hands all its hosts on, not only the busy ones.
        if (Ownership is { } ownership)
            foreach (var host in hosts.Hosts) await ownership.OwnsAsync(OwnerKeys.Host(host.Uri), ct);
        await using var scope = scopes.CreateAsyncScope();
        var reader = scope.ServiceProvider.GetRequiredService<KindReader>();
        var known = (await reader.IdsAsync(Kinds.Vms, ct)).ToHashSet();
        foreach (var id in known) Enqueue(id, ensure: false);
        // Leftovers of VMs that no longer exist go through the same queue, under the same per-id lock.
        foreach (var id in FindLeftoverIds().Where(id => !known.Contains(id))) Enqueue(id, ensure: false);
    }

    protected override async Task PollAsync(CancellationToken ct)
    {
        // A host that was down at start-up (or since) is reached again here, so validation sees it come back.
        hosts.LearnFacts();
        await using var scope = scopes.CreateAsyncScope();
        var reader = scope.ServiceProvider.GetRequiredService<KindReader>();
        foreach (var id in await reader.IdsAsync(Kinds.Vms, ct)) Enqueue(id, ensure: false);
    }

    protected override async Task<TimeSpan?> ReconcileAsync(Guid id, bool ensure, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceStore>();
        var row = await store.FindAsync(Kind, id, Actor.System, ct);
        if (row is null)
        {
            RemoveLeftovers(id);
            return null;
        }
        var vm = Resource<VmSpec, VmStatus>.FromRow(row);
        var writer = new StatusWriter(store, id, vm.Status);
        try
        {
            if (vm.DeletionRequestedAt is not null)
            {
                await DeleteAsync(vm, writer, store, scope.ServiceProvider.GetRequiredService<IpamService>(), ct);
                return null;
            }
            VmPlan plan;
            using (VmTelemetry.StartPhase(VmTelemetry.Plan, vm.Id)) plan = await scope.ServiceProvider.GetRequiredService<VmPlanner>().PlanAsync(vm, ct);
            return await ConvergeAsync(plan, ensure || vm.Status.ObservedVersion < vm.Version, writer, scope.ServiceProvider.GetRequiredService<KrautDbContext>(), ct);
        }
        catch (Exception e) when (e is LibvirtException or QemuImgException or HostUnavailableException or PlacementException or VmBuildException
            or CloudInit.SeedException or VmMoveException)
        {
            var failedCreate = !writer.Current.DomainDefined;
            var unreachable = writer.Current.DomainDefined ? Unreachable(writer.Current.Host) : null;
            await writer.WriteAsync(s => s with
            {
                Phase = failedCreate ? VmPhase.Failed : unreachable is not null ? VmPhase.Unknown : s.Phase,
                LastError = unreachable ?? e.Message,
                LastErrorAt = time.GetUtcNow().UtcDateTime,
                Addresses = unreachable is not null ? [] : s.Addresses,
            }, ct);
            // A refused placement or a broken image will not fix itself; the user changes something, which requeues.
            if (e is PlacementException or VmBuildException) return null;
            throw;
        }
    }

    private async Task<TimeSpan?> ConvergeAsync(VmPlan plan, bool act, StatusWriter writer, KrautDbContext db, CancellationToken ct)
    {
        var vm = plan.Vm;
        var host = plan.Host;
        if (plan.Placed || writer.Current.DomainName is null)
        {
            // Recorded before anything is created, so a crash after this point knows where to look.
            await writer.WriteAsync(s => s with { Host = plan.Host!.Uri, Phase = VmPhase.Creating, DomainName = VmBuilder.DomainName(vm.Id) }, ct);
            // Placed by this replica, built by the host's owner: the next pass goes to it (see OwnerKeys).
            if (Ownership is { } ownership && !await ownership.OwnsAsync(OwnerKeys.Host(plan.Host!.Uri), ct)) return TimeSpan.Zero;
        }
        if (host is null) throw new HostUnavailableException($"This VM was placed on {writer.Current.Host}, which is no longer configured.", new InvalidOperationException());
        if (VmMover.PendingTarget(vm.Spec, writer.Current) is not null)
        {
            // Recorded by the move API; once done, the next pass (on the target's owner) converges there as usual.
            await mover.MoveAsync(plan, writer, db, ct);
            return TimeSpan.Zero;
        }

        var connection = host.Connection;
        var domain = connection.FindDomain(vm.Id);
        var existed = domain is not null;
        try
        {
            if (domain is null)
            {
                if (writer.Current.DomainDefined && !act && !host.IsDemo)
                {
                    await writer.WriteAsync(s => s with
                    {
                        Phase = VmPhase.Missing,
                        Drift = "The libvirt domain was removed outside Kraut. Start the VM to create it again.",
                        Addresses = [],
                    }, ct);
                    return null;
                }
                if (!writer.Current.DomainDefined) await writer.WriteAsync(s => s with { Phase = VmPhase.Creating }, ct);
                var definition = (await builder.PrepareNewAsync(plan, db, ct)).Definition;
                using (VmTelemetry.StartPhase(VmTelemetry.Define, vm.Id)) domain = connection.DefineDomain(DomainXml.Build(definition));
                // A domain about to be started says so in the same write (ApplyPowerAsync's own then changes nothing).
                var starting = act && vm.Spec.Power == PowerState.Running && vm.Spec.ForceOffGeneration <= writer.Current.ObservedForceOffGeneration;
                await writer.WriteAsync(s => s with
                {
                    DomainDefined = true,
                    DomainType = definition.DomainType,
                    Drift = null,
                    Phase = starting ? VmPhase.Starting : s.Phase,
                    ShutdownRequestedAt = starting ? null : s.ShutdownRequestedAt,
                }, ct);
            }
            var unplugPending = act && existed && await ApplySpecAsync(plan, host, domain, writer, db, ct);
            // A domain just defined from this plan has its filters already.
            if (existed && !host.Connection.IsTestDriver) SyncNicFilters(plan, host, domain);
            var again = act ? await ApplyPowerAsync(vm, domain, connection.IsTestDriver, writer, ct) : null;
            // Also on a mere event (act false): the reset event is what ends a reboot.
            if (writer.Current.RebootRequestedAt is not null) again = Earlier(again, await FollowRebootAsync(vm, domain, writer, ct));
            await ObserveAsync(vm, domain, writer, act, ct);
            if (unplugPending) again = TimeSpan.FromSeconds(5);
            return again ?? (writer.Current.Phase == VmPhase.Stopping ? TimeSpan.FromSeconds(2) : null);
        }
        finally
        {
            domain?.Dispose();
        }
    }

    /// <summary>
    /// Redefines the persistent config when the spec moved on, and makes a running guest's NICs match the spec.
    /// Returns true while an unplug is still pending: a guest that was booting may have missed the request.
    /// </summary>
    private async Task<bool> ApplySpecAsync(VmPlan plan, KrautHost host, LibvirtDomain domain, StatusWriter writer, KrautDbContext db, CancellationToken ct)
    {
        var vm = plan.Vm;
        var persistent = DomainXml.Parse(domain.GetXml(inactive: true));
        var configCurrent = persistent.Metadata?.SpecVersion == vm.Version;
        var live = domain.GetState() == DomainState.Running ? DomainXml.Parse(domain.GetXml()) : null;
        // A current config is not enough: a failed hot-plug, or an unplug a booting guest missed, must be retried.
        if (configCurrent && (live is null || live.Macs.ToHashSet().SetEquals(vm.Spec.Nics.Select(n => n.Mac!)))) return false;
        var build = await builder.BuildAsync(plan, db, ct);
        var definition = build.Definition;
        if (!configCurrent)
        {
            using (host.Connection.DefineDomain(DomainXml.Build(definition))) { }
        }
        if (live is null) return false;
        if (build.SeedRewritten && build.SeedCdrom is { } seed) ChangeSeedMedium(vm.Id, domain, seed);

        var needsRestart = live.Vcpus != definition.Vcpus || live.MemoryMiB != definition.MemoryMiB;
        var unplugging = live.Nics.Where(l => definition.Nics.All(n => n.Mac != l.Mac)).ToList();
        try
        {
            foreach (var nic in definition.Nics.Where(n => !live.Macs.Contains(n.Mac)))
                domain.AttachDevice(DomainXml.BuildNic(nic), live: true, config: false);
            foreach (var nic in unplugging) Unplug(vm.Id, domain, nic);
            if (unplugging.Count > 0) networkReconciler.EnqueueAll();
        }
        catch (LibvirtException e) when (e.IsUnsupported)
        {
            // This driver cannot hot-plug (libvirt's test driver cannot); the config has the NICs, the next start brings them.
            needsRestart = true;
            unplugging.Clear();
        }
        await writer.WriteAsync(s => s with { RestartRequired = needsRestart }, ct);
        return unplugging.Count > 0;
    }

    /// <summary>
    /// Gives each NIC the network filter it should have now, in the config and on the running guest, without a restart:
    /// a network's gateway moved to or away from this VM, or the domain predates the filters.
    /// </summary>
    private void SyncNicFilters(VmPlan plan, KrautHost host, LibvirtDomain domain)
    {
        var vm = plan.Vm;
        var wanted = plan.NicFilters;
        var running = domain.GetState() == DomainState.Running;
        foreach (var (live, nics) in new[] { (false, DomainXml.Parse(domain.GetXml(inactive: true)).Nics), (true, running ? DomainXml.Parse(domain.GetXml()).Nics : []) })
        {
            foreach (var nic in nics)
            {
                if (!wanted.TryGetValue(nic.Mac, out var filter) || filter.Equals(nic.Filter)) continue;
                VmBuilder.EnsureGuestFilters(host);
                logger.LogInformation("Network filter of NIC {Mac} of VM {Id} becomes {Filter} ({Where})", nic.Mac, vm.Id, filter.Name, live ? "live" : "config");
                domain.UpdateDevice(DomainXml.BuildNic(nic with { Filter = filter }), live, config: !live);
            }
        }
    }

    /// <summary>
    /// QEMU keeps the replaced seed image open (it was renamed over), and a reboot does not reopen it: eject and
    /// insert the medium, so the guest's next boot, reboot included, reads the new seed.
    /// </summary>
    private void ChangeSeedMedium(Guid vmId, LibvirtDomain domain, DiskDefinition seed)
    {
        try
        {
            domain.UpdateDevice(DomainXml.BuildEjectedCdrom(seed), live: true, config: false);
            domain.UpdateDevice(DomainXml.BuildDisk(seed), live: true, config: false);
        }
        catch (LibvirtException e)
        {
            // A guest that locked its tray, or a driver without media change: the next cold start reads the new seed.
            logger.LogInformation("Could not change the seed medium of {Id} live: {Message}", vmId, e.Message);
        }
    }

    private void Unplug(Guid vmId, LibvirtDomain domain, NicDefinition nic)
    {
        try
        {
            domain.DetachDevice(DomainXml.BuildNic(nic), live: true, config: false);
        }
        catch (LibvirtException e) when (!e.IsUnsupported)
        {
            // Asking again while the guest still works on the first request is refused; the next pass looks again.
            logger.LogDebug("Unplug of {Mac} from {Id} not accepted yet: {Message}", nic.Mac, vmId, e.Message);
        }
    }

    private async Task<TimeSpan?> ApplyPowerAsync(Resource<VmSpec, VmStatus> vm, LibvirtDomain domain, bool testDriver, StatusWriter writer, CancellationToken ct)
    {
        var spec = vm.Spec;
        var state = domain.GetState();
        if (spec.ForceOffGeneration > writer.Current.ObservedForceOffGeneration)
        {
            if (IsUp(state)) domain.Destroy();
            await writer.WriteAsync(s => s with { ObservedForceOffGeneration = spec.ForceOffGeneration, ShutdownRequestedAt = null }, ct);
            state = domain.GetState();
        }

        if (spec.Power == PowerState.Running)
        {
            if (!IsUp(state))
            {
                await writer.WriteAsync(s => s with { Phase = VmPhase.Starting, ShutdownRequestedAt = null }, ct);
                // Claimed before the call: libvirt can deliver Started while virDomainCreate is still returning.
                _awaitingFirstEvent[vm.Id] = null;
                using (VmTelemetry.StartPhase(VmTelemetry.Start, vm.Id)) domain.Start();
                var firstEvent = VmTelemetry.StartPhase(VmTelemetry.FirstEvent, vm.Id);
                if (!_awaitingFirstEvent.TryUpdate(vm.Id, firstEvent, null)) firstEvent?.Dispose();
                await writer.WriteAsync(s => s with { RestartRequired = false, ObservedRebootGeneration = spec.RebootGeneration }, ct);
            }
            else if (spec.RebootGeneration > writer.Current.ObservedRebootGeneration)
            {
                // Taken before the call: the guest may reset before Reboot returns.
                var asked = time.GetUtcNow().UtcDateTime;
                domain.Reboot();
                // libvirt's test driver reboots within the call: done in one write, never seen half-way as "rebooting".
                if (testDriver)
                {
                    await writer.WriteAsync(s => s with { ObservedRebootGeneration = spec.RebootGeneration }, ct);
                    return null;
                }
                await writer.WriteAsync(s => s with
                {
                    ObservedRebootGeneration = spec.RebootGeneration,
                    RebootRequestedAt = s.RebootRequestedAt ?? asked,
                    RebootAskedAt = asked,
                    Phase = VmPhase.Rebooting,
                }, ct);
            }
            return null;
        }

        if (!IsUp(state))
        {
            await writer.WriteAsync(s => s with { ShutdownRequestedAt = null, RestartRequired = false }, ct);
            return null;
        }
        var now = time.GetUtcNow().UtcDateTime;
        var timeout = TimeSpan.FromSeconds(options.Value.StopTimeoutSeconds);
        if (writer.Current.ShutdownRequestedAt is not { } askedAt)
        {
            domain.Shutdown();
            await writer.WriteAsync(s => s with { ShutdownRequestedAt = now, Phase = VmPhase.Stopping }, ct);
            return timeout;
        }
        if (now - askedAt < timeout) return timeout - (now - askedAt);
        logger.LogInformation("VM {Id} did not shut down within {Timeout}; forcing it off", vm.Id, timeout);
        domain.Destroy();
        await writer.WriteAsync(s => s with { ShutdownRequestedAt = null }, ct);
        return null;
    }

    /// <summary>
    /// Sees a requested reboot through: done when libvirt reports the reset; until then the ACPI button is pressed
    /// again every <see cref="RebootRetryInterval"/>, and after <c>StopTimeoutSeconds</c> the guest is reset, as a
    /// stop cuts power after the same time.
    /// </summary>
    private async Task<TimeSpan?> FollowRebootAsync(Resource<VmSpec, VmStatus> vm, LibvirtDomain domain, StatusWriter writer, CancellationToken ct)
    {
        var requested = writer.Current.RebootRequestedAt!.Value;
        var now = time.GetUtcNow().UtcDateTime;
        var rebooted = _rebootsSeen.TryGetValue(vm.Id, out var seen) && seen >= requested;
        // A stopped guest has nothing to reboot. (The test driver never gets here: its reboot is done within the call.)
        if (rebooted || vm.Spec.Power != PowerState.Running || !IsUp(domain.GetState()))
        {
            await writer.WriteAsync(s => s with { RebootRequestedAt = null, RebootAskedAt = null }, ct);
            return null;
        }
        var timeout = TimeSpan.FromSeconds(options.Value.StopTimeoutSeconds);
        if (now - requested >= timeout)
        {
            logger.LogInformation("VM {Id} did not reboot within {Timeout}; resetting it", vm.Id, timeout);
            domain.Reset();
            await writer.WriteAsync(s => s with { RebootRequestedAt = null, RebootAskedAt = null }, ct);
            return null;
        }
        var askedAt = writer.Current.RebootAskedAt ?? requested;
        if (now - askedAt >= RebootRetryInterval)
        {
            logger.LogInformation("VM {Id} has not rebooted yet; pressing its ACPI button again", vm.Id);
            domain.Reboot();
            await writer.WriteAsync(s => s with { RebootAskedAt = now }, ct);
            askedAt = now;
        }
        return Earlier(RebootRetryInterval - (now - askedAt), timeout - (now - requested));
    }

    private static TimeSpan? Earlier(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a < b ? a : b;

    private async Task ObserveAsync(Resource<VmSpec, VmStatus> vm, LibvirtDomain domain, StatusWriter writer, bool acted, CancellationToken ct)
    {
        var state = domain.GetState();
        var stopping = vm.Spec.Power == PowerState.Stopped && writer.Current.ShutdownRequestedAt is not null && IsUp(state);
        var rebooting = writer.Current.RebootRequestedAt is not null && IsUp(state);
        var phase = stopping ? VmPhase.Stopping : rebooting ? VmPhase.Rebooting : state switch
        {
            DomainState.Running or DomainState.Blocked => VmPhase.Running,
            DomainState.Paused or DomainState.PmSuspended => VmPhase.Paused,
            DomainState.Shutdown => VmPhase.Stopping,
            DomainState.Crashed => VmPhase.Crashed,
            _ => VmPhase.Stopped,
        };
        string? drift = null;
        if (!acted && writer.Current.ObservedVersion == vm.Version)
        {
            if (vm.Spec.Power == PowerState.Running && phase is VmPhase.Stopped or VmPhase.Crashed)
                drift = "Stopped outside Kraut (the guest powered itself off, or someone used virsh). Start it to bring it back.";
            else if (vm.Spec.Power == PowerState.Stopped && phase == VmPhase.Running)
                drift = "Running although Kraut was asked to stop it (started outside Kraut).";
            else
                drift = DescribeConfigDrift(vm, DomainXml.Parse(domain.GetXml(inactive: true)));
        }
        var up = phase is VmPhase.Running or VmPhase.Rebooting;
        // Only DHCP leases: libvirt's ARP source fails on this kind of host ("wrong nlmsg len"), and there is no guest agent.
        var addresses = up ? domain.GetInterfaceAddresses().Select(a => new VmAddress(a.Mac ?? "", a.Address, "dhcp-lease")).ToList() : [];
        var now = time.GetUtcNow().UtcDateTime;
        await writer.WriteAsync(s => s with
        {
            Phase = phase,
            Drift = drift,
            Addresses = SameAddresses(s.Addresses, addresses) ? s.Addresses : addresses,
            UnseenSince = UnseenNics(vm.Spec, up, addresses, s.UnseenSince, now),
            ObservedVersion = acted ? vm.Version : s.ObservedVersion,
            LastError = acted ? null : s.LastError,
            LastErrorAt = acted ? null : s.LastErrorAt,
            ObservedAt = time.GetUtcNow().UtcDateTime,
        }, ct);
    }

    private static bool SameAddresses(IReadOnlyList<VmAddress> a, IReadOnlyList<VmAddress> b) => a.SequenceEqual(b);

    /// <summary>
    /// Since when each NIC of a running VM has shown no address: the page explains a NIC that stays silent
    /// (typically a hot-plugged NIC the guest's network configuration does not cover). The same instance is kept
    /// while nothing changed, so a quiet poll writes nothing.
    /// </summary>
    private static IReadOnlyDictionary<string, DateTime> UnseenNics(VmSpec spec, bool up, IReadOnlyList<VmAddress> seen,
        IReadOnlyDictionary<string, DateTime> before, DateTime now)
    {
        var unseen = new Dictionary<string, DateTime>();
        if (up)
        {
            foreach (var mac in spec.Nics.Select(n => n.Mac).OfType<string>().Where(m => seen.All(a => a.Mac != m)))
                unseen[mac] = before.TryGetValue(mac, out var since) ? since : now;
        }
        return unseen.Count == before.Count && unseen.All(u => before.TryGetValue(u.Key, out var t) && t == u.Value) ? before : unseen;
    }

    private static string? DescribeConfigDrift(Resource<VmSpec, VmStatus> vm, DomainXmlSummary persistent)
    {
        var differences = new List<string>();
        if (persistent.Vcpus != vm.Spec.Vcpus) differences.Add($"vCPUs {vm.Spec.Vcpus} → {persistent.Vcpus}");
        if (persistent.MemoryMiB != vm.Spec.MemoryMiB) differences.Add($"memory {vm.Spec.MemoryMiB} → {persistent.MemoryMiB} MiB");
        var wanted = vm.Spec.Nics.Select(n => n.Mac!).Order().ToList();
        if (!wanted.SequenceEqual(persistent.Macs.Order())) differences.Add("NICs differ");
        return differences.Count == 0 ? null : "Changed outside Kraut: " + string.Join(", ", differences) + ". Saving the VM again restores Kraut's settings.";
    }

    private async Task DeleteAsync(Resource<VmSpec, VmStatus> vm, StatusWriter writer, ResourceStore store, IpamService ipam, CancellationToken ct)
    {
        await writer.WriteAsync(s => s with { Phase = VmPhase.Deleting }, ct);
        _rebootsSeen.TryRemove(vm.Id, out _);
        // A VM deleted mid-move may have a domain or disk on its target as well.
        var placedOn = new[] { vm.Status.Host, vm.Spec.Host }.Distinct().Select(hosts.Find).OfType<KrautHost>().ToList();
        IReadOnlyList<KrautHost> candidates = placedOn.Count > 0 ? placedOn : hosts.Hosts;
        foreach (var host in candidates)
        {
            using var domain = host.Connection.FindDomain(vm.Id);
            if (domain is null) continue;
            if (domain.IsActive) domain.Destroy();
            domain.Undefine();
        }
        foreach (var host in candidates.Where(VmVolumes.AreUsedOn)) volumes.Delete(host, vm.Id);
        builder.DeleteFiles(vm.Id);
        // The record and its addresses and MACs go together, or neither does.
        await store.InTransactionAsync(async () =>
        {
            await ipam.ReleaseAsync(vm.Id, [], ct);
            await store.DeleteAsync(Kind, vm.Id, null, Actor.System, ct);
            return true;
        }, ct);
        // Its reservations go, and a network it was the gateway of must say so.
        networkReconciler.EnqueueAll();
        logger.LogInformation("VM {Id} ({Name}) deleted with its domain and disk", vm.Id, vm.Name);
    }

    /// <summary>Removes what a VM left behind after its record went (only this instance's domains).</summary>
    private void RemoveLeftovers(Guid id)
    {
        foreach (var host in hosts.Hosts.Where(h => h.TryConnect()))
        {
            using var domain = host.Connection.FindDomain(id);
            if (domain is null || domain.GetKrautMetadata()?.InstanceId != instance.Id) continue;
            logger.LogWarning("Removing orphan domain {Id} on {Host}", id, host.Uri);
            if (domain.IsActive) domain.Destroy();
            domain.Undefine();
        }
        foreach (var host in hosts.Hosts.Where(h => VmVolumes.AreUsedOn(h) && h.TryConnect())) volumes.Delete(host, id);
        builder.DeleteFiles(id);
    }

    /// <summary>Ids of this instance's domains and files, whether or not a VM still owns them.</summary>
    private HashSet<Guid> FindLeftoverIds()
    {
        var ids = new HashSet<Guid>();
        foreach (var host in hosts.Hosts.Where(h => h.TryConnect()))
        {
            foreach (var domain in host.Connection.ListAllDomains())
            {
                using (domain)
                {
                    if (domain.GetKrautMetadata() is { } meta && meta.InstanceId == instance.Id) ids.Add(domain.Uuid);
                }
            }
            // The pool is this instance's own: every VM-named volume in it is ours.
            if (VmVolumes.AreUsedOn(host)) ids.UnionWith(volumes.OwnerIds(host));
        }
        foreach (var file in Directory.EnumerateFiles(paths.Disks).Concat(Directory.EnumerateFiles(paths.Consoles)).Concat(Directory.EnumerateFileSystemEntries(paths.CloudInit)))
        {
            var stem = Path.GetFileName(file).Split('.')[0];
            if (Guid.TryParse(stem, out var id)) ids.Add(id);
        }
        return ids;
    }

    /// <summary>
    /// The sentence a VM on an unreachable host shows (phase unknown), or null while its host answers. Its disk lives on
    /// that host, so there is no evacuation without it: Kraut waits for the host and never recreates the VM elsewhere.
    /// </summary>
    private string? Unreachable(string? uri)
    {
        if (hosts.Find(uri) is not { } host || host.TryConnect()) return null;
        return $"The host {host.Uri} does not answer ({host.Error}). This VM's state is unknown; its disk is local to that host, "
            + "so it cannot be recreated elsewhere. Kraut waits for the host to come back and then shows the VM as it finds it.";
    }

    private void Listen(LibvirtConnection connection, CancellationToken ct)
    {
        var subscription = connection.SubscribeDomainEvents();
        lock (_subscriptions) _subscriptions.Add(subscription);
        _ = Task.Run(async () =>
        {
            await foreach (var e in subscription.Reader.ReadAllAsync(ct))
            {
                if (e.Type == DomainEventType.Started && _awaitingFirstEvent.TryRemove(e.DomainUuid, out var waiting)) waiting?.Dispose();
                if (e.Type == DomainEventType.Rebooted) _rebootsSeen[e.DomainUuid] = time.GetUtcNow().UtcDateTime;
                Enqueue(e.DomainUuid, ensure: false);
            }
        }, ct);
    }

    private static bool IsUp(DomainState state) => state is DomainState.Running or DomainState.Blocked or DomainState.Paused
        or DomainState.PmSuspended or DomainState.Shutdown;

    public override void Dispose()
    {
        lock (_subscriptions)
        {
            foreach (var s in _subscriptions) s.Dispose();
        }
        base.Dispose();
    }
}
