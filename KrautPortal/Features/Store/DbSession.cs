using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Store;

/// <summary>
/// The <see cref="KrautDbContext"/> a scoped store service works on. In an HTTP request or a background job's scope that is
/// the scope's one context, as before. A Blazor circuit's scope lives as long as the page is open, and its components
/// and live-update handlers run their loads side by side on its dispatcher (each awaits a round trip while the next
/// starts); one context shared by all of them fails on PostgreSQL with "A second operation was started on this context
/// instance" (SQLite's driver runs async calls synchronously and hides it). There a session hands each operation a
/// context of its own.
/// </summary>
/// <remarks>
/// An operation is the async call that first asked for the context, and everything it awaits: the context is kept in an
/// <see cref="AsyncLocal{T}"/>, which .NET scopes to the async method that set it (it flows into what the method calls and
/// awaits, never back out to its caller nor to a sibling call). So one store method's queries and its SaveChanges share
/// a context, a transaction's work and the rules it runs inside it (<see cref="ResourceStore.InTransactionAsync{T}"/>)
/// see that transaction, and two calls started at once get two contexts. The alternatives were heavier: a context per
/// call must be passed explicitly through every rule a transaction runs; a DI scope per operation (OwningComponentBase)
/// needs every page to be written for it; queueing one context's operations (an earlier attempt) deadlocked when an
/// operation awaited work that needed the context. Services that read the context must therefore do so from an async
/// method (or one that returns its query to an async caller), not from a method that returns a Task without awaiting it
/// (the context would then be left in the caller's flow and shared by what the caller starts next), and a method that
/// loads through an async helper and then saves must ask for the context before calling the helper (else the helper's
/// frame owns the context it made: <c>ResourceStore.Pin</c>).
/// <para>A circuit's contexts are not disposed one by one: EF opens the connection for each command and closes it after
/// (back to the pool), so a finished operation's context holds only memory, which the garbage collector takes back.</para>
/// </remarks>
public sealed class DbSession
{
    private static readonly AsyncLocal<Operation?> Current = new();

    private sealed record Operation(DbSession Owner, KrautDbContext Db);

    private readonly IServiceProvider? _services;
    private readonly KrautContextFactory? _factory;
    private KrautDbContext? _scoped;

    public DbSession(IServiceProvider services, KrautContextFactory factory)
    {
        _services = services;
        _factory = factory;
    }

    private DbSession(KrautDbContext db) => _scoped = db;

    /// <summary>A session on one given context (a helper handed a context, outside any scope's session).</summary>
    public static DbSession Over(KrautDbContext db) => new(db);

    /// <summary>Whether each operation gets a context of its own (a circuit's scope) rather than the scope's one.</summary>
    public bool ContextPerOperation { get; private set; }

    /// <summary>
    /// Switches this scope to a context per operation: called as a circuit starts, before its components run. Only where
    /// the provider needs it (PostgreSQL): SQLite's circuits keep the one context they always had, since its driver never
    /// overlaps two operations and the rule above (who asks first owns the context) has been proven on the page tests
    /// but not yet on every service a page may call.
    /// </summary>
    public void UseContextPerOperation() => ContextPerOperation = _factory is { PerOperationInCircuits: true };

    public KrautDbContext Db
    {
        get
        {
            if (!ContextPerOperation) return _scoped ??= _services!.GetRequiredService<KrautDbContext>();
            // Another session's operation may flow in here (a write in one circuit tells the others' live handlers):
            // only this session's own context is reused.
            if (Current.Value is { } operation && ReferenceEquals(operation.Owner, this)) return operation.Db;
            var db = _factory!.Create(_services!);
            Current.Value = new Operation(this, db);
            return db;
        }
    }
}

/// <summary>Makes the provider's context (<see cref="DatabaseSetup.AddKrautStore"/>) with the scope's options.</summary>
public sealed class KrautContextFactory(Type implementation, bool perOperationInCircuits)
{
    /// <summary>Whether a circuit gets a context per operation (see <see cref="DbSession.UseContextPerOperation"/>).</summary>
    public bool PerOperationInCircuits => perOperationInCircuits;

    public KrautDbContext Create(IServiceProvider services) =>
        (KrautDbContext)ActivatorUtilities.CreateInstance(services, implementation);
}

/// <summary>
/// A page rendered on the server for a plain HTTP request (before its circuit opens) runs the same components, loading at
/// once, in the request's scope: it gets a context per operation as its circuit will (on PostgreSQL; see
/// <see cref="DbSession.UseContextPerOperation"/>). Only component endpoints: API handlers keep the request's one context.
/// </summary>
public static class PageRequestDbSession
{
    public static IApplicationBuilder UseContextPerOperationForPages(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is not null)
                context.RequestServices.GetRequiredService<DbSession>().UseContextPerOperation();
            await next(context);
        });
}

/// <summary>Turns a circuit's scope to a context per operation (see <see cref="DbSession"/>); Blazor resolves circuit handlers as it makes the circuit, before any component.</summary>
public sealed class CircuitDbSession : CircuitHandler
{
    public CircuitDbSession(DbSession session) => session.UseContextPerOperation();
}
