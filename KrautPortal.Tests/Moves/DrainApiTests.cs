using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Scheduling;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Moves;

/// <summary>
/// <c>POST /api/v1/hosts/{id}/drain</c> on two test-driver hosts: the host is cordoned, its stopped VMs move where the
/// scheduler allows, a running one stays (never stopped silently) and a VM the scheduler's hard anti-affinity keeps off
/// the only other host fails with that reason; <c>GET /api/v1/hosts</c> shows the progress.
/// </summary>
public sealed class DrainApiTests(DrainApiPortal portal) : IClassFixture<DrainApiPortal>
{
    [Fact]
    public async Task Drain_MovesStoppedVms_LeavesARunningOne_AndReportsWhatTheSchedulerRefused()
    {
        var small = portal.SmallHost;
        var smallId = await portal.HostIdAsync(small);
        var defaultId = await portal.HostIdAsync(MovesApiPortal.DefaultHost);
        // The running VM can only be put on the small host by keeping it off the other one.
        using (await portal.Admin.PostAsync($"/api/v1/hosts/{defaultId}/cordon", null)) { }
        var (running, _) = await portal.VmOnAsync(small, running: true);
        using (await portal.Admin.PostAsync($"/api/v1/hosts/{defaultId}/uncordon", null)) { }
        var (first, _) = await portal.VmOnAsync(small);
        var (second, _) = await portal.VmOnAsync(small);
        // Two VMs that must never share a host: one on each, so the drained one has nowhere to go.
        var (dbHere, _) = await portal.VmOnAsync(small, labels: "app=db");
        await SetAntiAffinityAsync(dbHere);
        var (dbThere, _) = await portal.VmOnAsync(MovesApiPortal.DefaultHost, labels: "app=db");

        using var response = await portal.Admin.PostAsync($"/api/v1/hosts/{smallId}/drain", null);
        var started = await ApiClient.ReadAsync(response);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.NotNull(started["cordon"]);
        Assert.Equal(4, started["drain"]!["vms"]!.AsArray().Count);

        JsonObject? drain = null;
        await Eventually.WaitUntilAsync(async () =>
        {
            var hosts = JsonNode.Parse(await portal.Admin.GetStringAsync("/api/v1/hosts"))!.AsArray();
            drain = hosts.Single(h => (string)h!["uri"]! == small)!["drain"]!.AsObject();
            return drain["finishedAt"] is not null;
        }, MovesApiPortal.Converge, "the drain finished");

        string State(Guid id) => (string)drain!["vms"]!.AsArray().Single(v => (string)v!["id"]! == id.ToString())!["state"]!;
        string? Reason(Guid id) => (string?)drain!["vms"]!.AsArray().Single(v => (string)v!["id"]! == id.ToString())!["reason"];
        Assert.Equal("moved", State(first));
        Assert.Equal("moved", State(second));
        Assert.Equal("left", State(running));
        Assert.Contains("stop it to move it", Reason(running), StringComparison.Ordinal);
        Assert.Equal("failed", State(dbHere));
        Assert.Contains("anti-affinity", Reason(dbHere), StringComparison.Ordinal);
        Assert.StartsWith("2 of 4 moved", (string)drain!["summary"]!, StringComparison.Ordinal);

        foreach (var id in new[] { first, second })
        {
            Assert.Equal(MovesApiPortal.DefaultHost, (string?)(await portal.GetVmAsync(id))["status"]!["host"]);
            Assert.False(portal.DefinedOn(small, id));
        }
        var stayed = await portal.GetVmAsync(running);
        Assert.Equal(small, (string?)stayed["status"]!["host"]);
        Assert.Equal("running", (string?)stayed["status"]!["phase"]);
        Assert.Equal(small, (string?)(await portal.GetVmAsync(dbHere))["status"]!["host"]);
        Assert.Equal(MovesApiPortal.DefaultHost, (string?)(await portal.GetVmAsync(dbThere))["status"]!["host"]);
    }

    private async Task SetAntiAffinityAsync(Guid id)
    {
        using var response = await portal.Admin.PatchAsync($"/api/v1/vms/{id}",
            ApiClient.Json(new JsonObject { ["spec"] = new JsonObject { ["placement"] = SchedulingPortal.AntiAffinity("app=db") } }, "application/merge-patch+json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }
}
