using Bunit;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Quotas;
using KrautPortal.Features.Quotas.Pages;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Features.Vms.Pages;
using KrautPortal.Tests.Portal;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using PortalApp = KrautPortal.Tests.Portal.PortalApp;

namespace KrautPortal.Tests.Store;

/// <summary>
/// A circuit's components share its one DI scope and run their loads side by side on its dispatcher. On PostgreSQL, whose
/// driver really awaits the server, two of them at once on the scope's one DbContext failed with EF's "A second operation
/// was started on this context instance"; in a circuit each operation now has a context of its own (DbSession). The first
/// two fail without that only on PostgreSQL (SQLite's driver finishes before it returns), so they are in its pass too;
/// the last checks the session's rule itself (on PostgreSQL; on SQLite that circuits keep one context).
/// </summary>
public sealed class CircuitContextTests(PortalApp app) : PortalTestContext(app.Services), IClassFixture<PortalApp>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Reads_and_a_write_started_at_once_through_one_circuits_services_all_finish()
    {
        var name = "turns-" + Guid.NewGuid().ToString("N")[..6];
        var me = QuotaSubject.User(TestCredentials.Admin.Name);
        // On the circuit's dispatcher, as lifecycle methods and live-update handlers run: each starts, awaits the server,
        // and the next starts meanwhile. Store reads, a KindReader read, a raw SQL aggregate (the quota meter), and a
        // write (its transaction) all through the one scope.
        var created = await Renderer.Dispatcher.InvokeAsync(async () =>
        {
            var vms = Services.GetRequiredService<ResourceService<VmSpec, VmStatus>>();
            var reads = new List<Task>
            {
                vms.ListAsync(new ListQuery(), CancellationToken.None),
                Services.GetRequiredService<ResourceService<NetworkSpec, NetworkStatus>>().ListAsync(new ListQuery(), CancellationToken.None),
                Services.GetRequiredService<KindReader>().SpecsAsync<MachineTypeSpec>(Kinds.MachineTypes, CancellationToken.None),
                Services.GetRequiredService<QuotaService>().StandingAsync(me, CancellationToken.None),
                Services.GetRequiredService<QuotaService>().MineAsync(TestCredentials.Admin, CancellationToken.None),
            };
            var create = app.CreateVmAsync(Services, name);
            reads.Add(vms.CountAsync(null, CancellationToken.None));
            await Task.WhenAll([.. reads, create]);
            return await create;
        }).WaitAsync(Wait); // a context used twice at once can also leave its operations waiting for ever

        var found = await Renderer.Dispatcher.InvokeAsync(() =>
            Services.GetRequiredService<ResourceService<VmSpec, VmStatus>>().FindAsync(created.Id, CancellationToken.None)).WaitAsync(Wait);
        Assert.Equal(name, found?.Name);
    }

    [Fact]
    public async Task A_page_whose_components_load_at_once_follows_a_change_made_while_they_load()
    {
        var name = "live-" + Guid.NewGuid().ToString("N")[..6];
        var before = (await Renderer.Dispatcher.InvokeAsync(() =>
            Services.GetRequiredService<QuotaService>().MineAsync(TestCredentials.Admin, CancellationToken.None)).WaitAsync(Wait))[0].Used.Vms;

        // Three components loading through the circuit's scope at once, and a VM created through it before they are
        // done: its change reaches each of them (a live update) while the others still load.
        var cut = RenderWithPopovers(b =>
        {
            b.OpenComponent<QuotaUsePanel>(0);
            b.CloseComponent();
            b.OpenComponent<VmList>(1);
            b.CloseComponent();
            b.OpenComponent<QuotaUsePanel>(2);
            b.CloseComponent();
        });
        await Renderer.Dispatcher.InvokeAsync(() => app.CreateVmAsync(Services, name)).WaitAsync(Wait);

        cut.WaitForAssertion(() =>
        {
            Assert.NotNull(cut.FindAll("[data-testid=resource-table] tr").FirstOrDefault(r => r.TextContent.Contains(name, StringComparison.Ordinal)));
            var panels = cut.FindAll("[data-testid=quota-use-panel]");
            Assert.Equal(2, panels.Count);
            Assert.All(panels, p => Assert.Contains($" {before + 1} VM", p.TextContent, StringComparison.Ordinal));
        }, Wait);
    }

    [Fact]
    public async Task Operations_started_at_once_get_contexts_of_their_own_and_a_transactions_work_shares_its_context()
    {
        var session = Services.GetRequiredService<DbSession>();
        // Only PostgreSQL's circuits switch (SQLite's keep their one context, as DbSession.UseContextPerOperation says).
        Assert.Equal(TestDatabase.IsPostgres, session.ContextPerOperation);
        if (!TestDatabase.IsPostgres) return;
        var store = Services.GetRequiredService<ResourceStore>();

        // Two operations started at once, each asking again after an await: each keeps its own context throughout.
        async Task<(KrautDbContext First, KrautDbContext Again)> Operation()
        {
            var first = session.Db;
            await Task.Yield();
            return (first, session.Db);
        }
        var both = await Renderer.Dispatcher.InvokeAsync(() => Task.WhenAll(Operation(), Operation())).WaitAsync(Wait);
        Assert.All(both, o => Assert.Same(o.First, o.Again));
        Assert.NotSame(both[0].First, both[1].First);

        // What runs inside a transaction (a kind's rules) sees that transaction, and what runs beside it does not.
        var seen = await Renderer.Dispatcher.InvokeAsync(async () =>
        {
            var beside = new TaskCompletionSource<bool>();
            var inside = store.InTransactionAsync(async () =>
            {
                await Task.Yield();
                var sees = session.Db.Database.CurrentTransaction is not null;
                await beside.Task;
                return sees;
            }, CancellationToken.None);
            var besideSees = await Task.Run(async () =>
            {
                await Task.Yield();
                return session.Db.Database.CurrentTransaction is not null;
            });
            beside.SetResult(true);
            return (Inside: await inside, Beside: besideSees);
        }).WaitAsync(Wait);
        Assert.True(seen.Inside);
        Assert.False(seen.Beside);
    }
}
