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
        var page = await browser.NewSignedInPageAsync(_cluster.Replicas[1]);
        await page.GotoInteractiveAsync("vms");
        await page.MarkDocumentAsync();

        var name = "feed-" + Guid.NewGuid().ToString("N")[..8];
        await _cluster.Api(0).CreateVmAsync(name, memoryMiB: 256);
        var answered = Stopwatch.StartNew();
        var row = page.TestId("resource-table").Locator("tr", new() { Has = page.GetByText(name, new() { Exact = true }) });
        // Waited for longer than promised, so a failure says whether it came late or never.
        await Expect(row).ToBeVisibleAsync(new() { Timeout = 10_000 });
        Assert.True(answered.Elapsed < TimeSpan.FromSeconds(1), $"the VM showed on the other replica after {answered.ElapsedMilliseconds} ms");

        // Its status is written by whichever replica owns the host; the open page follows it too.
        await Expect(row.GetByTestId("vm-phase")).ToHaveTextAsync("running", new() { Timeout = 20_000 });
        await page.AssertNotReloadedAsync();
    }
}
