using System.Diagnostics;
using KrautPortal.Tests.Browser;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace KrautPortal.Tests.Replicas;

/// <summary>
/// Two replicas on one PostgreSQL: a page open on one follows what is done through the other, live (LISTEN/NOTIFY, no
/// polling: the page would otherwise only change on reload).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ReplicaFeedTests(BrowserFixture browser, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private ReplicaCluster _cluster = default!;

    public async Task InitializeAsync() => _cluster = await ReplicaCluster.StartAsync(replicas: 2, hosts: 1);

    public async Task DisposeAsync()
    {
        if (_cluster is null) return;
        output.WriteLine(_cluster.Errors());
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task A_vm_created_through_one_replica_appears_on_the_others_open_list_within_a_second_and_follows_its_phase()
    {
        // The same list open on the replica that takes the create (the local feed) and on the other (across replicas).
        var page = await browser.NewSignedInPageAsync(_cluster.Replicas[1]);
        await page.GotoInteractiveAsync("vms");
        await page.MarkDocumentAsync();
        var local = await browser.NewSignedInPageAsync(_cluster.Replicas[0]);
        await local.GotoInteractiveAsync("vms");

        var name = "feed-" + Guid.NewGuid().ToString("N")[..8];
        await _cluster.Api(0).CreateVmAsync(name, memoryMiB: 256);
        var answered = Stopwatch.StartNew();
        ILocator Row(IPage p) => p.TestId("resource-table").Locator("tr", new() { Has = p.GetByText(name, new() { Exact = true }) });
        // Waited for longer than promised, so a failure says whether it came late or never.
        async Task<long> ShownAsync(IPage p)
        {
            await Expect(Row(p)).ToBeVisibleAsync(new() { Timeout = 10_000 });
            return answered.ElapsedMilliseconds;
        }
        var times = await Task.WhenAll(ShownAsync(page), ShownAsync(local));
        output.WriteLine($"shown after {times[0]} ms on the other replica, {times[1]} ms on the replica that took the create");
        Assert.True(times[0] < 1000, $"the VM showed on the other replica after {times[0]} ms (on its own replica after {times[1]} ms)");
        var row = Row(page);

        // Its status is written by whichever replica owns the host; the open page follows it too.
        await Expect(row.GetByTestId("vm-phase")).ToHaveTextAsync("running", new() { Timeout = 20_000 });
        await page.AssertNotReloadedAsync();
    }
}
