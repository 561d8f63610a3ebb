using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;

namespace KrautPortal.Features.Consoles;

/// <summary>A ticket as handed out: the secret (shown this once), what it opens and until when.</summary>
/// <param name="Path">The WebSocket's path below the path base (<see cref="ConsoleUrls.PathFor"/>).</param>
/// <param name="Protocols">The subprotocols to offer: <c>kraut.console</c> and <c>kraut.ticket.&lt;ticket&gt;</c>.</param>
public sealed record IssuedConsoleTicket(string Ticket, Guid VmId, string Type, DateTime ExpiresAt, string Path, IReadOnlyList<string> Protocols);

/// <summary>
/// Issues one-time console tickets, for the API and the portal's pages alike: the caller must be allowed to read the VM
/// (as GET; another tenant's VM is not there: 404), to <c>console</c> VMs (a token's verb), and to use it (not shared
/// by the administrators); a router's console is read-only (409), and a VM without a running domain has none (409).
/// </summary>
public sealed class ConsoleTickets(ResourceService<VmSpec, VmStatus> vms, IKindAuthorizer authorizer, ConsoleTicketStore store)
{
    public const string Verb = "console";
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    /// <summary>Phases in which the VM's domain runs, so its consoles answer.</summary>
    private static readonly VmPhase[] Live = [VmPhase.Running, VmPhase.Rebooting, VmPhase.Paused, VmPhase.Stopping];

    /// <param name="origin">The page's origin (<c>scheme://host[:port]</c>) the socket will be opened from; null for a client that is no web page.</param>
    public async Task<IssuedConsoleTicket> IssueAsync(Guid vmId, string? type, string? origin, CancellationToken ct)
    {
        var kind = ConsoleTypes.Parse(type);
        var normalized = ConsoleOrigins.Normalize(origin);
        if (normalized?.StartsWith("invalid:", StringComparison.Ordinal) == true)
            throw new BadRequestException("Invalid origin", $"'{origin}' is not a page origin (scheme://host[:port]).");
        // Before the VM is looked up: a token that may not open consoles learns nothing about which VMs exist.
        var actor = authorizer.Demand(Verb, Kinds.Vms, vmId);
        var vm = await vms.GetAsync(vmId, ct);
        Check(vm, actor, kind);
        var (secret, ticket) = store.Add(actor, vmId, kind, normalized, Lifetime);
        return new IssuedConsoleTicket(secret, vmId, kind, ticket.ExpiresAt, ConsoleUrls.PathFor(vmId, kind), ConsoleUrls.ProtocolsFor(secret));
    }

    /// <summary>Why <paramref name="actor"/> may not open this VM's console now; shared with the sessions' re-checks.</summary>
    public static void Check(Resource<VmSpec, VmStatus> vm, Actor actor, string type)
    {
        if (vm.System || RouterVmMarker.IsRouterVm(vm))
            throw new ConflictException($"'{vm.Name}' is a router kept by Kraut: a router's console is read-only; its serial log is on the VM's page.");
        if (!actor.MayAccessOwner(vm.Owner))
            throw new ForbiddenException($"'{vm.Name}' is shared by the administrators; only they open its console.");
        if (vm.DeletionRequestedAt is not null) throw new ConflictException($"'{vm.Name}' is being deleted; it has no console any more.");
        if (!Live.Contains(vm.Status.Phase) || vm.Status.Host is null)
            throw new ConflictException($"'{vm.Name}' is not running (it is {vm.Status.Phase.ToString().ToLowerInvariant()}); start it to use its console.");
    }
}
