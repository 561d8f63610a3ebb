using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Snapshots;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KrautPortal.Tests.Snapshots;

/// <summary>
/// A portal killed after recording snapshot work, and one whose libvirt lost a snapshot, converge on restart (test
/// driver; an open connection keeps its in-process state across the two portals): a recorded snapshot is taken, a
/// recorded revert is carried out, and a record whose libvirt snapshot is gone is marked failed, never listed ready.
/// </summary>
public sealed class SnapshotRestartTests : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("kraut-test-").FullName;
    private readonly LibvirtConnection _keepAlive = LibvirtConnection.Open(KrautAppFactory.TestDriver);
    private string? _instance;

    [Fact]
    public async Task RecordedSnapshotsAndReverts_AreCarriedOutAfterARestart_AndALostOneIsMarkedFailed()
    {
        SeedImages.Put(_dir, "blank");
        Guid vm, lost, reverted, recorded;
        using (var first = new KrautAppFactory(dataDirectory: _dir))
        {
            _instance = first.Service<KrautInstance>().Id;
            var api = new KrautApi(first.CreateClient());
            vm = await api.CreateVmAsync(ApiClient.UniqueName("restart"));
            await api.WaitForPhaseAsync(vm, "running", Settle);
            lost = await TakeAsync(api.Http, vm, "lost");
            reverted = await TakeAsync(api.Http, vm, "reverted");
            foreach (var id in new[] { lost, reverted })
                await SnapshotWaits.WaitForAsync(api.Http, id, s => (string?)s["status"]!["phase"] == "ready", Settle, "a snapshot to be ready");
        }

        // A portal that records but dies before its snapshot reconciler acts (here: one where it never runs).
        using (var dying = new KrautAppFactory(dataDirectory: _dir, services: WithoutSnapshotReconciler))
        {
            using var client = dying.CreateClient();
            using (var revert = await client.PostAsync($"/api/v1/vms/{vm}/snapshots/{reverted}/revert", null))
                Assert.True(revert.StatusCode == HttpStatusCode.Accepted, await revert.Content.ReadAsStringAsync());
            recorded = await TakeAsync(client, vm, "recorded");
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Equal("pending", (string?)(await ApiClient.ReadAsync(await client.GetAsync($"/api/v1/snapshots/{recorded}")))["status"]!["phase"]);
        }

        // Meanwhile someone removes a snapshot behind Kraut's back.
        using (var domain = _keepAlive.FindDomain(vm)!)
        {
            Assert.True(domain.DeleteSnapshot(SnapshotReconciler.LibvirtName(lost)));
            Assert.Null(domain.FindSnapshot(SnapshotReconciler.LibvirtName(recorded)));
        }

        using var second = new KrautAppFactory(dataDirectory: _dir);
        using var http = second.CreateClient();
        var taken = await SnapshotWaits.WaitForAsync(http, recorded, s => (string?)s["status"]!["phase"] == "ready", Settle, "the recorded snapshot to be taken");
        Assert.Equal(reverted, (Guid?)taken["status"]!["parentId"]);
        await SnapshotWaits.WaitForAsync(http, reverted, s => (long)s["status"]!["observedRevertGeneration"]! == 1, Settle, "the recorded revert");
        var failed = await SnapshotWaits.WaitForAsync(http, lost, s => (string?)s["status"]!["phase"] == "failed", Settle, "the lost snapshot to be failed");
        Assert.Contains("no longer has this snapshot", (string?)failed["status"]!["error"], StringComparison.Ordinal);
        using var refused = await http.PostAsync($"/api/v1/vms/{vm}/snapshots/{lost}/revert", null);
        await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Conflict, "is failed, not ready");
    }

    /// <summary>Keeps the snapshot reconciler from ever starting, as if the portal died before it got to the work.</summary>
    private static void WithoutSnapshotReconciler(IServiceCollection services)
    {
        for (var i = 0; i < services.Count; i++)
        {
            if (services[i].ServiceType == typeof(IHostedService) && services[i].ImplementationFactory is { } make)
                services[i] = ServiceDescriptor.Singleton<IHostedService>(sp => make(sp) is SnapshotReconciler ? new NeverStarts() : (IHostedService)make(sp));
        }
    }

    private sealed class NeverStarts : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static async Task<Guid> TakeAsync(HttpClient http, Guid vm, string name)
    {
        using var response = await http.PostAsJsonAsync($"/api/v1/vms/{vm}/snapshots", new JsonObject { ["name"] = ApiClient.UniqueName(name) });
        var json = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, json.ToJsonString());
        return (Guid)json["id"]!;
    }

    public void Dispose()
    {
        if (_instance is not null) LibvirtCleanup.RemoveInstance(KrautAppFactory.TestDriver, _instance);
        _keepAlive.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // a temp directory
        }
    }
}
