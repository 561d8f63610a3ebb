using System.Collections.Concurrent;
using System.Threading.Channels;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using KrautPortal.Features.Tokens;
using KrautPortal.Features.Vms;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Consoles;

/// <summary>
/// A console outlives the ticket that opened it, so its access is checked again: whenever its VM or token changes (the
/// change feed) and every <see cref="ConsoleOptions.RecheckSeconds"/>. A session closes, saying why, when its VM is
/// deleted, its owner changed away from the actor, the token that opened it was revoked or expired, or the person
/// is no longer a user. At start-up, audit rows a stopped portal left open are closed.
/// </summary>
public sealed class ConsoleAccessWatch(ConsoleSessions sessions, ChangeFeed feed, IServiceScopeFactory scopes, IOptions<ConsoleOptions> options,
    TimeProvider time, ILogger<ConsoleAccessWatch> logger) : BackgroundService
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    // VMs and tokens changed since the last round: a nudge re-checks only the sessions on them (every VM status write
    // is a change; re-checking every session's identity, perhaps in LDAP, on each was work for nothing). The periodic
    // round checks them all.
    private readonly ConcurrentDictionary<Guid, byte> _changed = new();
    private IDisposable? _subscription;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await sessions.CloseLeftOpenAsync(cancellationToken);
        _subscription = feed.Subscribe(change =>
        {
            // On the writer's thread: only a nudge.
            if (change.Kind != Kinds.Vms.Name && change.Kind != Kinds.Tokens.Name) return;
            _changed[change.Id] = 0;
            _wake.Writer.TryWrite(true);
        });
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        foreach (var session in sessions.Sessions) session.Close("The portal is shutting down.");
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(1, options.Value.RecheckSeconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            var periodic = false;
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                wait.CancelAfter(interval);
                try
                {
                    await _wake.Reader.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    periodic = true;
                }
            }
            var changed = TakeChanged();
            foreach (var session in sessions.Sessions)
            {
                if (!periodic && !changed.Contains(session.VmId) && !(session.Actor.Scope is { } token && changed.Contains(token.TokenId))) continue;
                try
                {
                    if (await WhyNotAsync(session, stoppingToken) is { } reason) session.Close(reason);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A check that cannot run (the database busy) is no verdict: the next round asks again.
                    logger.LogWarning(e, "Could not re-check console session {Session}", session.Id);
                }
            }
        }
    }

    private HashSet<Guid> TakeChanged()
    {
        var taken = new HashSet<Guid>();
        foreach (var id in _changed.Keys)
        {
            if (_changed.TryRemove(id, out _)) taken.Add(id);
        }
        return taken;
    }

    /// <summary>Why this session may not go on; null while it may.</summary>
    public async Task<string?> WhyNotAsync(ConsoleSession session, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var reader = services.GetRequiredService<KindReader>();
        var vm = await reader.FindAsync<VmSpec, VmStatus>(Kinds.Vms, session.VmId, ct);
        if (vm is null) return "The VM was deleted.";
        if (vm.DeletionRequestedAt is not null) return "The VM is being deleted.";

        var actor = session.Actor;
        if (actor.Scope is { } scope1)
        {
            var token = await reader.FindAsync<TokenSpec, TokenStatus>(Kinds.Tokens, scope1.TokenId, ct);
            if (token is null) return "The token that opened this console was revoked.";
            if (token.Spec.ExpiresAt <= time.GetUtcNow().UtcDateTime) return $"The token that opened this console expired at {token.Spec.ExpiresAt:u}.";
        }
        var verdict = await services.GetRequiredService<IdentityCheck>().CheckAsync(session.Person, actor.Groups,
            _ => Task.FromResult<DateTime?>(session.OpenedAt), ct);
        if (verdict.Refusal is { } refusal) return "You may no longer use Kraut: " + refusal;
        // A group the person has left no longer gives them its VMs.
        var now = actor with { Groups = actor.Groups.Intersect(verdict.Groups, StringComparer.Ordinal).ToList() };

        services.GetRequiredService<RequestActorAccessor>().CircuitActor = now;
        try
        {
            var visible = await services.GetRequiredService<ResourceService<VmSpec, VmStatus>>().FindAsync(session.VmId, ct);
            if (visible is null) return "You no longer have access to this VM.";
            ConsoleTickets.Check(visible, now, session.Type);
        }
        catch (KrautProblemException e)
        {
            return e.Detail;
        }
        return null;
    }
}
