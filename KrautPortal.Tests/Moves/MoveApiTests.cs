using System.Net;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Moves;

/// <summary>
/// <c>POST /api/v1/vms/{id}/move</c> on two test-driver hosts: the wish is recorded (spec.host, a new version), the reconciler
/// defines the domain on the target and removes it from the source, and every refusal is a problem naming its reason.
/// </summary>
public sealed class MoveApiTests(MovesApiPortal portal) : IClassFixture<MovesApiPortal>
{
    [Fact]
    public async Task Move_OfAStoppedVm_DefinesItOnTheTarget_AndRemovesItFromTheSource()
    {
        var (id, vm) = await portal.VmOnAsync(MovesApiPortal.DefaultHost);
        var target = portal.SmallHost;
        var version = (long)vm["version"]!;

        using var response = await portal.MoveAsync(id, await portal.HostIdAsync(target));
        var accepted = await ApiClient.ReadAsync(response);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(target, (string)accepted["spec"]!["host"]!);
        Assert.True((long)accepted["version"]! > version, "the move is recorded as a new version");

        var moved = await portal.WaitAsync(id, v => (string?)v["status"]?["host"] == target && v["status"]?["move"] is null, "the VM moved");
        Assert.Equal("stopped", (string?)moved["status"]!["phase"]);
        Assert.Equal(MovesApiPortal.DefaultHost, (string?)moved["status"]!["lastMove"]!["from"]);
        Assert.Equal(target, (string?)moved["status"]!["lastMove"]!["to"]);
        Assert.True(portal.DefinedOn(target, id), "the domain is defined on the target");
        Assert.False(portal.DefinedOn(MovesApiPortal.DefaultHost, id), "the domain is gone from the source");
        var history = await portal.Admin.GetStringAsync($"/api/v1/vms/{id}/history");
        Assert.Contains("move to " + target, history, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Move_WithoutAHost_GoesWhereTheSchedulerPuts_ItAndNeverToTheCurrentHost()
    {
        var (id, _) = await portal.VmOnAsync(portal.SmallHost);
        using var response = await portal.MoveAsync(id, null);
        var accepted = await ApiClient.ReadAsync(response);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(MovesApiPortal.DefaultHost, (string)accepted["spec"]!["host"]!);
        await portal.WaitAsync(id, v => (string?)v["status"]?["host"] == MovesApiPortal.DefaultHost && v["status"]?["move"] is null, "the VM moved");
        Assert.False(portal.DefinedOn(portal.SmallHost, id));
    }

    [Fact]
    public async Task Move_OfARunningVm_Is409_AskingToStopIt_WhileLiveMigrationIsUnavailable()
    {
        var (id, vm) = await portal.VmOnAsync(MovesApiPortal.DefaultHost, running: true);
        using var response = await portal.MoveAsync(id, portal.SmallHost);
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Conflict, "stop it to move it");
        var after = await portal.GetVmAsync(id);
        Assert.Equal((long)vm["version"]!, (long)after["version"]!);
        Assert.Equal("running", (string?)after["status"]!["phase"]);
    }

    [Fact]
    public async Task Move_ToACordonedHost_Is409_WithTheSchedulersReason()
    {
        var (id, _) = await portal.VmOnAsync(MovesApiPortal.DefaultHost);
        var target = await portal.HostIdAsync(portal.SmallHost);
        using (await portal.Admin.PostAsync($"/api/v1/hosts/{target}/cordon", null)) { }
        try
        {
            using var response = await portal.MoveAsync(id, target);
            await ApiClient.AssertProblemAsync(response, HttpStatusCode.Conflict, "The scheduler refuses " + portal.SmallHost, "cordon");
            using var anywhere = await portal.MoveAsync(id, null);
            await ApiClient.AssertProblemAsync(anywhere, HttpStatusCode.Conflict, "No host can take this VM", "cordon");
        }
        finally
        {
            using (await portal.Admin.PostAsync($"/api/v1/hosts/{target}/uncordon", null)) { }
        }
        Assert.Equal(MovesApiPortal.DefaultHost, (string?)(await portal.GetVmAsync(id))["spec"]!["host"]);
    }

    [Fact]
    public async Task Move_ToItsOwnHost_AnUnknownHost_OrWithAnUnknownField_IsRefused()
    {
        var (id, _) = await portal.VmOnAsync(MovesApiPortal.DefaultHost);
        using (var same = await portal.MoveAsync(id, MovesApiPortal.DefaultHost))
            await ApiClient.AssertProblemAsync(same, HttpStatusCode.Conflict, "on " + MovesApiPortal.DefaultHost + " already");
        using (var unknown = await portal.MoveAsync(id, "000000000000"))
            await ApiClient.AssertProblemAsync(unknown, HttpStatusCode.NotFound, "There is no host with id");
        using (var noVm = await portal.MoveAsync(Guid.NewGuid(), portal.SmallHost))
            Assert.Equal(HttpStatusCode.NotFound, noVm.StatusCode);
        using var field = await portal.Admin.PostAsync($"/api/v1/vms/{id}/move", ApiClient.Json(new System.Text.Json.Nodes.JsonObject { ["target"] = "x" }));
        await ApiClient.AssertProblemAsync(field, HttpStatusCode.UnprocessableEntity, "send only host");
    }

    [Fact]
    public async Task MoveAndDrain_AreForAdministratorsOnly()
    {
        var (id, vm) = await portal.VmOnAsync(MovesApiPortal.DefaultHost);
        var hostId = await portal.HostIdAsync(MovesApiPortal.DefaultHost);

        using (var user = await portal.MoveAsync(id, portal.SmallHost, portal.User))
            await ApiClient.AssertProblemAsync(user, HttpStatusCode.Forbidden, "Only administrators may move a VM");
        using (var user = await portal.User.PostAsync($"/api/v1/hosts/{hostId}/drain", null))
            await ApiClient.AssertProblemAsync(user, HttpStatusCode.Forbidden, "Only administrators may drain a host");
        using var anonymousClient = portal.App.CreateAnonymousClient();
        using (var anonymous = await portal.MoveAsync(id, portal.SmallHost, anonymousClient))
            await ApiClient.AssertProblemAsync(anonymous, HttpStatusCode.Unauthorized, "No credentials");
        using (var anonymous = await anonymousClient.PostAsync($"/api/v1/hosts/{hostId}/drain", null))
            await ApiClient.AssertProblemAsync(anonymous, HttpStatusCode.Unauthorized, "No credentials");

        // Nothing changed by the refusals.
        Assert.Equal((long)vm["version"]!, (long)(await portal.GetVmAsync(id))["version"]!);
        Assert.DoesNotContain("\"drain\":{", await portal.Admin.GetStringAsync("/api/v1/hosts"), StringComparison.Ordinal);
    }
}
