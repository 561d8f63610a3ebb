using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.BackupSchedules;

/// <summary>
/// The backup schedules API on libvirt's test driver: bad fields are a 422 naming each; a person's selector schedule
/// reaches only their own VMs (an administrator's reaches everyone's); another tenant's schedule is "not found". The
/// runs here are refused per VM (the demo host has no disks), which the status names VM by VM.
/// </summary>
public sealed class BackupScheduleApiTests(SchedulePortal portal) : IClassFixture<SchedulePortal>
{
    [Fact]
    public async Task BadFields_Are422_NamingEachField()
    {
        var alice = portal.As("alice");
        using var bad = await alice.PostAsync("/api/v1/backup-schedules", ApiClient.Json(SchedulePortal.Schedule(new JsonObject
        {
            ["selector"] = "env in (prod", ["every"] = "fortnightly", ["keep"] = 0, ["fullEvery"] = 0,
        })));
        var problem = await ApiClient.AssertProblemAsync(bad, HttpStatusCode.UnprocessableEntity);
        var errors = problem["errors"]!.AsObject();
        Assert.Contains("Invalid selector", (string)errors["spec.selector"]![0]!, StringComparison.Ordinal);
        Assert.Contains("'fortnightly' is none of these", (string)errors["spec.every"]![0]!, StringComparison.Ordinal);
        Assert.Contains("from 1 to", (string)errors["spec.keep"]![0]!, StringComparison.Ordinal);
        Assert.NotNull(errors["spec.fullEvery"]);

        using var both = await alice.PostAsync("/api/v1/backup-schedules", ApiClient.Json(SchedulePortal.Schedule(new JsonObject
        {
            ["selector"] = "env=prod", ["vmId"] = await portal.VmOfAsync("alice"), ["every"] = "daily", ["keep"] = 7,
        })));
        Assert.Contains("exactly one", (string)(await ApiClient.AssertProblemAsync(both, HttpStatusCode.UnprocessableEntity))["errors"]!["spec"]![0]!,
            StringComparison.Ordinal);
        using var neither = await alice.PostAsync("/api/v1/backup-schedules", ApiClient.Json(SchedulePortal.Schedule(new JsonObject { ["every"] = "daily" })));
        Assert.NotNull((await ApiClient.AssertProblemAsync(neither, HttpStatusCode.UnprocessableEntity))["errors"]!["spec"]);
    }

    [Fact]
    public async Task AnotherTenant_GetsNotFound_OnTheScheduleAndCannotNameTheirVm()
    {
        var alicesVm = await portal.VmOfAsync("alice");
        var created = await ApiClient.ReadAsync(await portal.As("alice").PostAsync("/api/v1/backup-schedules",
            ApiClient.Json(SchedulePortal.Schedule(new JsonObject { ["vmId"] = alicesVm, ["every"] = "6h", ["keep"] = 3 }))));
        var id = (string)created["id"]!;
        var bob = portal.As("bob");
        using (var get = await bob.GetAsync($"/api/v1/backup-schedules/{id}")) await ApiClient.AssertProblemAsync(get, HttpStatusCode.NotFound);
        using (var delete = await bob.DeleteAsync($"/api/v1/backup-schedules/{id}")) await ApiClient.AssertProblemAsync(delete, HttpStatusCode.NotFound);
        using (var verify = await bob.PostAsync($"/api/v1/backups/{Guid.NewGuid()}/verify", null)) await ApiClient.AssertProblemAsync(verify, HttpStatusCode.NotFound);
        using var hers = await bob.PostAsync("/api/v1/backup-schedules", ApiClient.Json(SchedulePortal.Schedule(new JsonObject
        {
            ["vmId"] = alicesVm, ["every"] = "daily", ["keep"] = 7,
        })));
        var problem = await ApiClient.AssertProblemAsync(hers, HttpStatusCode.UnprocessableEntity);
        Assert.Equal($"There is no VM with id {alicesVm}.", (string)problem["errors"]!["spec.vmId"]![0]!);
        Assert.Equal("6h", (string)(await ApiClient.ReadAsync(await portal.As("alice").GetAsync($"/api/v1/backup-schedules/{id}")))["spec"]!["every"]!);
    }

    [Fact]
    public async Task ASelectorSchedule_ReachesOnlyItsOwnersVms_AnAdministratorsReachesEveryones()
    {
        var label = ApiClient.UniqueName("tier");
        var metadata = new JsonObject { ["schedtest"] = label };
        var alicesVm = await portal.VmOfAsync("alice", (JsonObject)metadata.DeepClone());
        var bobsVm = await portal.VmOfAsync("bob", (JsonObject)metadata.DeepClone());
        var spec = new JsonObject { ["selector"] = $"schedtest={label}", ["every"] = "daily", ["keep"] = 2 };

        var alice = portal.As("alice");
        var hers = await ApiClient.ReadAsync(await alice.PostAsync("/api/v1/backup-schedules", ApiClient.Json(SchedulePortal.Schedule((JsonObject)spec.DeepClone()))));
        var herRun = await SchedulePortal.AfterFirstRunAsync(alice, (Guid)hers["id"]!);
        var herResults = herRun["status"]!["lastResults"]!.AsArray();
        Assert.Equal([alicesVm], herResults.Select(r => (Guid)r!["vmId"]!));
        // Taken through the Backups rules as alice: the demo host has nothing to back up, and the status says so.
        Assert.Contains("demo host", (string)herResults[0]!["refusal"]!, StringComparison.Ordinal);

        var admins = await portal.Api.CreateAsync("backup-schedules", SchedulePortal.Schedule((JsonObject)spec.DeepClone()));
        var adminRun = await SchedulePortal.AfterFirstRunAsync(portal.Api.Http, (Guid)admins["id"]!);
        Assert.Equal(new HashSet<Guid> { alicesVm, bobsVm }, adminRun["status"]!["lastResults"]!.AsArray().Select(r => (Guid)r!["vmId"]!).ToHashSet());
    }

    [Fact]
    public async Task ATokenThatMayNotTakeBackups_MayNotMakeASchedule_WhoseRunsWould()
    {
        var alice = portal.As("alice");
        var token = await ApiClient.ReadAsync(await alice.PostAsync("/api/v1/tokens", ApiClient.Json(Authorization.AuthorizationPortal.TokenBody(
            ApiClient.UniqueName("sched"), ["read", "create", "update", "delete"], ["backup-schedules", "vms"]))));
        using var client = portal.Api.App.CreateAnonymousClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + (string)token["secret"]!);
        using var refused = await client.PostAsync("/api/v1/backup-schedules", ApiClient.Json(SchedulePortal.Schedule(new JsonObject
        {
            ["selector"] = "env=prod", ["every"] = "daily", ["keep"] = 7,
        })));
        await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Forbidden, "may create and delete backups");
    }

    [Fact]
    public async Task ATokenLimitedByASelector_MayNotMakeOrChangeASchedule_WhoseRunsReachBeyondIt()
    {
        var alice = portal.As("alice");
        // Inside the token's selector itself, so the token sees it and its change is judged by the rule, not hidden.
        var inScope = SchedulePortal.Schedule(new JsonObject { ["selector"] = "env=test", ["every"] = "daily", ["keep"] = 3 });
        inScope["metadata"] = new JsonObject { ["env"] = "test" };
        var existing = await ApiClient.ReadAsync(await alice.PostAsync("/api/v1/backup-schedules", ApiClient.Json(inScope)));
        var token = await ApiClient.ReadAsync(await alice.PostAsync("/api/v1/tokens", ApiClient.Json(Authorization.AuthorizationPortal.TokenBody(
            ApiClient.UniqueName("sched"), ["read", "create", "update", "delete"], ["backup-schedules", "backups", "vms"], selector: "env=test"))));
        using var client = portal.Api.App.CreateAnonymousClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + (string)token["secret"]!);

        // Even a schedule whose own selector looks like the token's: its runs prune backups the token cannot reach.
        using var refused = await client.PostAsync("/api/v1/backup-schedules", ApiClient.Json(SchedulePortal.Schedule(new JsonObject
        {
            ["selector"] = "env=prod", ["every"] = "daily", ["keep"] = 7,
        })));
        await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Forbidden, "beyond this token's selector (env=test)");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/backup-schedules/{existing["id"]}")).StatusCode);
        using var changed = await client.PatchAsync($"/api/v1/backup-schedules/{existing["id"]}",
            ApiClient.Json(new JsonObject { ["spec"] = new JsonObject { ["selector"] = "env=prod" } }, "application/merge-patch+json"));
        await ApiClient.AssertProblemAsync(changed, HttpStatusCode.Forbidden, "beyond this token's selector");
        var after = await ApiClient.ReadAsync(await alice.GetAsync($"/api/v1/backup-schedules/{existing["id"]}"));
        Assert.Equal("env=test", (string?)after["spec"]!["selector"]);
    }
}
