using System.Net;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Api;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Tests.Authorization;

/// <summary>
/// Every endpoint the OpenAPI document lists, called by every kind of caller on objects of every kind of owner,
/// answers what tenancy says: nobody reaches another person's objects, shared ones are read-only to non-admins,
/// a token limited by a selector reaches (history, versions, diffs and sub-resources included) only the objects it matches,
/// and system objects (made by Kraut for alice) are reached by administrators only, read-only, and by no bulk action.
/// </summary>
[Collection(AuthorizationCollection.Name)]
public sealed partial class AuthorizationMatrixTests(AuthorizationPortal portal)
{
    private enum Op { List, Create, Get, Replace, Patch, Delete, History, Version, Diff, Revert, Act, ActOnSelector, ListNics, AddNic, RemoveNic, Hosts, Upload, UploadOffset, CancelUpload, Import, ListAddresses, OwnProfile, Preview, Counters, FirewallRouters, Console, ListConsoles, CloseConsole, Audit, AuditVerify, VmUsage, Showback, InstallationUsage, Observation }

    private static readonly Op[] Reads = [Op.List, Op.Get, Op.History, Op.Version, Op.Diff, Op.ListNics, Op.Hosts, Op.UploadOffset, Op.ListAddresses, Op.Preview, Op.Counters, Op.FirewallRouters, Op.Console, Op.ListConsoles, Op.Audit, Op.AuditVerify, Op.VmUsage, Op.Showback, Op.InstallationUsage];

    /// <summary>Every endpoint shape Kraut has; {kind} is any kind. An endpoint matching none fails the matrix until it is classified here.</summary>
    private static readonly (string Method, string Path, Op Op)[] Shapes =
    [
        ("GET", "/api/v1/hosts", Op.Hosts),
        // The caller's own profile: no owners to cross, checked by ProfileSshKeys_AreEachPersonsOwn below.
        ("GET", "/api/v1/profile/ssh-keys", Op.OwnProfile),
        ("POST", "/api/v1/profile/ssh-keys", Op.OwnProfile),
        ("DELETE", "/api/v1/profile/ssh-keys/{id}", Op.OwnProfile),
        ("POST", "/api/v1/vms/{id}/actions/{action}", Op.Act),
        ("POST", "/api/v1/vms/actions/{action}", Op.ActOnSelector),
        ("GET", "/api/v1/vms/{id}/nics", Op.ListNics),
        ("POST", "/api/v1/vms/{id}/nics", Op.AddNic),
        ("DELETE", "/api/v1/vms/{id}/nics/{nicId}", Op.RemoveNic),
        ("PUT", "/api/v1/images/{id}/content", Op.Upload),
        ("HEAD", "/api/v1/images/{id}/content", Op.UploadOffset),
        ("DELETE", "/api/v1/images/{id}/content", Op.CancelUpload),
        ("POST", "/api/v1/images/{id}/import", Op.Import),
        ("GET", "/api/v1/networks/{id}/addresses", Op.ListAddresses),
        // Reads, though preview is a POST (it may carry a draft): exactly GET's authorization.
        ("POST", "/api/v1/firewalls/{id}/preview", Op.Preview),
        ("GET", "/api/v1/firewalls/{id}/counters", Op.Counters),
        ("GET", "/api/v1/firewalls/{id}/routers", Op.FirewallRouters),
        // A ticket changes nothing; it needs GET's authorization plus the verb console (the matrix's tokens lack it).
        ("POST", "/api/v1/vms/{id}/console", Op.Console),
        ("GET", "/api/v1/consoles", Op.ListConsoles),
        ("DELETE", "/api/v1/consoles/{sessionId}", Op.CloseConsole),
        // Usage: a VM's with its GET's authorization; showback of the caller's own owners (UsageApiTests checks whose); totals for administrators.
        ("GET", "/api/v1/vms/{id}/usage", Op.VmUsage),
        ("GET", "/api/v1/usage/showback", Op.Showback),
        ("GET", "/api/v1/usage/installation", Op.InstallationUsage),
        // Everyone searches their own entries (AuditTrailTests checks whose); only administrators check the chain.
        ("GET", "/api/v1/audit", Op.Audit),
        ("GET", "/api/v1/audit/verify", Op.AuditVerify),
        // Admin-only reads answer like the console sessions list: 403 for everyone else.
        ("GET", "/api/v1/capacity", Op.ListConsoles),
        // Quotas and failures own no objects of a kind; who may do what is checked by KrautPortal.Tests/Quotas and /Failures.
        ("GET", "/api/v1/quotas/mine", Op.Observation),
        ("GET", "/api/v1/quotas", Op.Observation),
        ("GET", "/api/v1/quotas/{type}/{name}", Op.Observation),
        ("PUT", "/api/v1/quotas/{type}/{name}", Op.Observation),
        ("DELETE", "/api/v1/quotas/{type}/{name}", Op.Observation),
        ("GET", "/api/v1/quotas/{type}/{name}/history", Op.Observation),
        ("GET", "/api/v1/failures", Op.Observation),
        // Scheduling: the preview has create's authorization, cordons are for administrators; their rows are in
        // KrautPortal.Tests/Scheduling/SchedulingAuthorizationTests (they need hosts and bodies of their own).
        ("POST", "/api/v1/vms/placement-preview", Op.Observation),
        ("POST", "/api/v1/hosts/{id}/cordon", Op.Observation),
        ("POST", "/api/v1/hosts/{id}/uncordon", Op.Observation),
        // Moves and drains are for administrators; their rows are in KrautPortal.Tests/Moves/MoveAuthorizationTests.
        ("POST", "/api/v1/vms/{id}/move", Op.Observation),
        // A VM's snapshots answer as the VM's GET does; their rows are in KrautPortal.Tests/Snapshots/SnapshotApiTests.
        ("GET", "/api/v1/vms/{id}/snapshots", Op.Observation),
        ("POST", "/api/v1/vms/{id}/snapshots", Op.Observation),
        ("POST", "/api/v1/vms/{id}/snapshots/{snapshotId}/revert", Op.Observation),
        ("POST", "/api/v1/hosts/{id}/drain", Op.Observation),
        // An image from a VM: GET's authorization on the VM plus create on images; its rows are in KrautPortal.Tests/VmImages/VmImageApiTests.
        ("POST", "/api/v1/vms/{id}/image", Op.Observation),
        // Overcommit is for administrators (reads too: it is capacity); its rows are in KrautPortal.Tests/Scheduling/OvercommitApiTests.
        ("GET", "/api/v1/overcommit", Op.Observation),
        ("PUT", "/api/v1/overcommit", Op.Observation),
        ("GET", "/api/v1/overcommit/history", Op.Observation),
        ("GET", "/api/v1/hosts/{id}/overcommit", Op.Observation),
        ("PUT", "/api/v1/hosts/{id}/overcommit", Op.Observation),
        ("GET", "/api/v1/hosts/{id}/overcommit/history", Op.Observation),
        // Backups can be taken only of VMs on a real host (409 on the test driver this matrix runs on); their rows, each
        // route as a GET of the backup or its VM, are in KrautPortal.Tests/Backups/BackupApiTests and Integration/DiskRealGuestTests.
        ("GET", "/api/v1/backups", Op.Observation),
        ("POST", "/api/v1/backups", Op.Observation),
        ("GET", "/api/v1/backups/{id}", Op.Observation),
        ("PUT", "/api/v1/backups/{id}", Op.Observation),
        ("PATCH", "/api/v1/backups/{id}", Op.Observation),
        ("DELETE", "/api/v1/backups/{id}", Op.Observation),
        ("GET", "/api/v1/backups/{id}/history", Op.Observation),
        ("GET", "/api/v1/backups/{id}/history/{version}", Op.Observation),
        ("GET", "/api/v1/backups/{id}/diff", Op.Observation),
        ("POST", "/api/v1/backups/{id}/revert", Op.Observation),
        ("POST", "/api/v1/backups/{id}/restore", Op.Observation),
        ("POST", "/api/v1/backups/{id}/restore-over", Op.Observation),
        ("GET", "/api/v1/backups/{id}/download", Op.Observation),
        ("GET", "/api/v1/vms/{id}/backups", Op.Observation),
        ("POST", "/api/v1/vms/{id}/backups", Op.Observation),
        // A backup's verification reads it as GET does; its rows are in KrautPortal.Tests/BackupSchedules/BackupScheduleApiTests.
        ("POST", "/api/v1/backups/{id}/verify", Op.Observation),
        ("GET", "/api/v1/{kind}", Op.List),
        ("POST", "/api/v1/{kind}", Op.Create),
        ("GET", "/api/v1/{kind}/{id}", Op.Get),
        ("PUT", "/api/v1/{kind}/{id}", Op.Replace),
        ("PATCH", "/api/v1/{kind}/{id}", Op.Patch),
        ("DELETE", "/api/v1/{kind}/{id}", Op.Delete),
        ("GET", "/api/v1/{kind}/{id}/history", Op.History),
        ("GET", "/api/v1/{kind}/{id}/history/{version}", Op.Version),
        ("GET", "/api/v1/{kind}/{id}/diff", Op.Diff),
        ("POST", "/api/v1/{kind}/{id}/revert", Op.Revert),
    ];

    private sealed record Endpoint(string Method, string Path, string? Kind, Op Op)
    {
        public override string ToString() => $"{Method} {Path}";
    }

    /// <param name="Labelled">Carries the label <see cref="AuthorizationPortal.DevSelector"/> matches (the seeded shared objects do not).</param>
    /// <param name="System">A system object Kraut made for its owner: hidden from everyone but administrators, changed by Kraut only.</param>
    private sealed record Target(string Kind, Owner Owner, Guid Id, string Name, bool Labelled, bool System = false);

    private sealed record Expected(HttpStatusCode[] Statuses, string? Detail = null);

    private static readonly Caller[] Callers = Enum.GetValues<Caller>();
    private static readonly Caller[] Admins = [Caller.Carol, Caller.God];

    private static bool IsAlicesToken(Caller caller) => caller is Caller.AliceToken or Caller.AliceDevToken or Caller.AliceProdToken;

    /// <summary>Whose objects each caller may read: their own, their group's (alice, bob and alice's tokens are in team-x) and shared ones.</summary>
    private static bool Sees(Caller caller, Owner owner) => owner switch
    {
        _ when Admins.Contains(caller) => true,
        Owner.Shared => true,
        Owner.TeamX => caller is Caller.Alice or Caller.Bob || IsAlicesToken(caller),
        Owner.Alice => caller is Caller.Alice || IsAlicesToken(caller),
        Owner.Bob => caller is Caller.Bob,
        _ => false,
    };

    /// <summary>As <see cref="Sees(Caller, Owner)"/>, narrowed by a token's selector: the dev token reaches labelled objects only, the prod token none.</summary>
    private static bool Sees(Caller caller, Target target) => Sees(caller, target.Owner) && (!target.System || Admins.Contains(caller)) && caller switch
    {
        Caller.AliceDevToken => target.Labelled,
        Caller.AliceProdToken => false,
        _ => true,
    };

    /// <summary>Kinds everyone (who sees them) may read but only administrators write.</summary>
    private static bool AdminManaged(string? kind) => kind == Kinds.MachineTypes.Name || kind == Kinds.AddressPools.Name;

    private static bool MayChange(Caller caller, Target target) => Sees(caller, target) && !target.System && (target.Owner != Owner.Shared || Admins.Contains(caller));

    private static Expected Expect(Endpoint e, Caller caller, Target? target)
    {
        if (caller == Caller.Anonymous) return new([HttpStatusCode.Unauthorized], "No credentials");
        var write = !Reads.Contains(e.Op);
        var admin = Admins.Contains(caller);
        if (e.Op is Op.ListConsoles or Op.CloseConsole && !admin) return new([HttpStatusCode.Forbidden], "Only administrators");
        if (e.Op is Op.InstallationUsage && !admin) return new([HttpStatusCode.Forbidden], "Only administrators");
        if (e.Op == Op.AuditVerify) return admin ? new([HttpStatusCode.OK]) : new([HttpStatusCode.Forbidden], "Only administrators check the audit chain");
        if (e.Op == Op.Audit) return IsAlicesToken(caller) ? new([HttpStatusCode.Forbidden], "limited-scope token may not read the audit trail") : new([HttpStatusCode.OK]);
        // No session is open in the matrix: closing one that is not there.
        if (e.Op == Op.CloseConsole) return new([HttpStatusCode.NotFound], "There is no open console session");
        if (e.Op == Op.Console)
        {
            if (IsAlicesToken(caller)) return new([HttpStatusCode.Forbidden], "This token may not console");
            if (!Sees(caller, target!)) return new([HttpStatusCode.NotFound], "There is no");
            if (target!.System) return new([HttpStatusCode.Conflict], "a router's console is read-only");
            if (target.Owner == Owner.Shared && !admin) return new([HttpStatusCode.Forbidden], "shared by the administrators");
            // Issued, or refused because the VM (on libvirt's test driver) does not run.
            return new([HttpStatusCode.Created, HttpStatusCode.Conflict]);
        }
        if (IsAlicesToken(caller) && e.Kind == Kinds.Tokens.Name) return new([HttpStatusCode.Forbidden], "This token may not");
        if (write && AdminManaged(e.Kind) && !admin) return new([HttpStatusCode.Forbidden], $"Only administrators manage {Kinds.All.First(k => k.Name == e.Kind).Plural}");
        if (target is not null && !Sees(caller, target)) return new([HttpStatusCode.NotFound], "There is no");
        // A schedule's runs act with its owner's full rights, beyond any selector: a selector-limited token may read and
        // delete schedules it reaches, never make or change one (BackupScheduleApiTests has the reasons).
        if (e.Kind == Kinds.BackupSchedules.Name && caller is (Caller.AliceDevToken or Caller.AliceProdToken)
            && e.Op is (Op.Create or Op.Replace or Op.Patch or Op.Revert))
            return new([HttpStatusCode.Forbidden], "beyond this token's selector");
        if (write && target?.Owner == Owner.Shared && !admin) return new([HttpStatusCode.Forbidden], "shared by the administrators");
        if (write && target?.System == true) return new([HttpStatusCode.Forbidden], "is a system object Kraut keeps for");
        // Every object the matrix creates carries the dev label, outside the prod token's selector.
        if (e.Op == Op.Create && caller == Caller.AliceProdToken)
            return new([HttpStatusCode.UnprocessableEntity], $"only reaches objects whose metadata matches '{AuthorizationPortal.ProdSelector}'");
        return new(e.Op switch
        {
            Op.Create or Op.AddNic => [HttpStatusCode.Created],
            Op.Delete => [HttpStatusCode.NoContent, HttpStatusCode.Accepted],
            Op.Act => [HttpStatusCode.Accepted],
            Op.RemoveNic => [HttpStatusCode.NoContent],
            // Content calls that pass authorization may still find the image in the wrong phase (the seeded one is
            // ready: 409) or, for an import, the URL refused (a loopback address: 422); what matters here is who got past.
            Op.Upload => [HttpStatusCode.OK, HttpStatusCode.Accepted, HttpStatusCode.Conflict],
            Op.UploadOffset => [HttpStatusCode.OK, HttpStatusCode.Conflict],
            Op.CancelUpload => [HttpStatusCode.NoContent, HttpStatusCode.Conflict],
            Op.Import => [HttpStatusCode.Accepted, HttpStatusCode.UnprocessableEntity, HttpStatusCode.Conflict],
            _ => [HttpStatusCode.OK],
        });
    }

    [Fact]
    public async Task EveryEndpoint_ForEveryCaller_OnEveryOwnersObjects_AnswersWhatTenancyAllows_AndNoOneChangesWhatTheyMayNot()
    {
        var endpoints = (await EndpointsAsync()).Where(e => e.Op is not (Op.OwnProfile or Op.Observation)).ToList();
        var run = Guid.NewGuid().ToString("N")[..8];
        var targets = await ArrangeTargetsAsync(endpoints.Select(e => e.Kind).OfType<string>().Distinct(), run);
        var failures = new ConcurrentQueue<string>();

        // Kinds in parallel, each on its own objects; within a kind one cell at a time, so a version that moved is the cell's doing.
        await Task.WhenAll(endpoints.GroupBy(e => e.Kind).Select(async group =>
        {
            var ofKind = targets.Where(t => t.Kind == group.Key).ToList();
            foreach (var endpoint in group)
            {
                foreach (var caller in Callers)
                {
                    if (!endpoint.Path.Contains("{id}", StringComparison.Ordinal)) await CheckAsync(endpoint, caller, null, ofKind, run, failures);
                    else foreach (var target in ofKind) await CheckAsync(endpoint, caller, target, ofKind, run, failures);
                }
            }
        }));

        // Whatever the answers said: objects of alice and bob were changed by nobody but themselves and administrators.
        foreach (var target in targets.Where(t => t.Owner is Owner.Alice or Owner.Bob))
        {
            var history = await portal.Api.GetArrayAsync($"/api/v1/{target.Kind}/{target.Id}/history");
            var owner = AuthorizationPortal.NameOf(target.Owner);
            foreach (var author in history.Select(h => (string)h!["changedBy"]!).Distinct())
            {
                if (target.System && author != "system") failures.Enqueue($"{target.Owner}'s system {target.Kind} {target.Name} was changed by {author}");
                // Alice's tokens change things as alice: history names her and the token.
                if (author is not ("system" or "carol" or Support.TestCredentials.GodActor) && author != owner && !author.StartsWith(owner + " (token ", StringComparison.Ordinal))
                    failures.Enqueue($"{target.Owner}'s {target.Kind} {target.Name} was changed by {author}");
            }
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} of the matrix's cells are wrong:\n" + string.Join("\n", failures));
    }

    [Fact]
    public async Task ProfileSshKeys_AreEachPersonsOwn_AndLimitedTokensCannotChangeThem()
    {
        const string url = "/api/v1/profile/ssh-keys";
        var ids = new Dictionary<Caller, string>();
        foreach (var caller in new[] { Caller.Alice, Caller.Bob, Caller.Carol })
        {
            using var added = await portal.Client(caller).PostAsync(url, ApiClient.Json(new JsonObject { ["key"] = CloudInit.TestKeys.Ed25519($"{caller}@matrix") }));
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            ids[caller] = (string)(await ApiClient.ReadAsync(added))["id"]!;
        }
        async Task<List<string>> ListAsync(Caller caller) =>
            JsonNode.Parse(await portal.Client(caller).GetStringAsync(url))!.AsArray().Select(k => (string)k!["id"]!).ToList();

        foreach (var caller in ids.Keys)
        {
            var listed = await ListAsync(caller);
            Assert.Contains(ids[caller], listed);
            // An administrator's profile is theirs too: nobody lists or removes another person's keys.
            Assert.DoesNotContain(listed, id => ids.Where(o => o.Key != caller).Select(o => o.Value).Contains(id));
        }
        using (var bobsByAlice = await portal.Client(Caller.Alice).DeleteAsync($"{url}/{ids[Caller.Bob]}"))
            await ApiClient.AssertProblemAsync(bobsByAlice, HttpStatusCode.NotFound);
        Assert.Contains(ids[Caller.Bob], await ListAsync(Caller.Bob));

        // Alice's limited token reads her keys but cannot add or remove any.
        Assert.Contains(ids[Caller.Alice], await ListAsync(Caller.AliceToken));
        using (var byToken = await portal.Client(Caller.AliceToken).PostAsync(url, ApiClient.Json(new JsonObject { ["key"] = CloudInit.TestKeys.Ed25519() })))
            await ApiClient.AssertProblemAsync(byToken, HttpStatusCode.Forbidden, "limited-scope token");
        using (var removeByToken = await portal.Client(Caller.AliceToken).DeleteAsync($"{url}/{ids[Caller.Alice]}"))
            await ApiClient.AssertProblemAsync(removeByToken, HttpStatusCode.Forbidden, "limited-scope token");

        using var anonymous = await portal.Client(Caller.Anonymous).GetAsync(url);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Anonymous_GetsUnauthorizedProblemsEverywhereUnderApi_ExceptTheApiDescriptionAndDocs()
    {
        var anonymous = portal.Client(Caller.Anonymous);

        foreach (var url in new[] { "/openapi/v1.json", "/api/docs" })
        {
            using var open = await anonymous.GetAsync(url);
            Assert.True(open.StatusCode == HttpStatusCode.OK, $"{url}: {(int)open.StatusCode}");
        }
        foreach (var (method, url) in new[] { ("GET", "/api"), ("GET", "/api/v1"), ("GET", "/api/v1/no-such-kind"), ("POST", "/api/v1/vms/x/y/z"), ("DELETE", "/api/v1/tokens") })
        {
            using var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), url));
            await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "No credentials");
            Assert.Contains("Basic", response.Headers.WwwAuthenticate.Select(h => h.Scheme));
        }
    }

    [Fact]
    public async Task AUserInNoGroup_SeesSharedObjectsOnly_NotThoseOfOthersOrOfAGroupTheyAreNotIn()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var mine = await portal.ArrangeAsync(Owner.Alice, "vms", "alice-" + run, new JsonObject { ["group-test"] = run });
        var team = await portal.ArrangeAsync(Owner.TeamX, "vms", "team-" + run, new JsonObject { ["group-test"] = run });
        var shared = await portal.ArrangeAsync(Owner.Shared, "vms", "shared-" + run, new JsonObject { ["group-test"] = run });
        using var dave = portal.ClientWith(AuthorizationPortal.BasicHeader("dave", AuthorizationPortal.Passwords["dave"]));
        var bob = portal.Client(Caller.Bob);

        Assert.Equal([(string)shared["name"]!], await NamesAsync(dave, run));
        Assert.Equal(new[] { (string)shared["name"]!, (string)team["name"]! }.Order(), await NamesAsync(bob, run));
        foreach (var hidden in new[] { mine, team })
        {
            using var get = await dave.GetAsync($"/api/v1/vms/{hidden["id"]}");
            await ApiClient.AssertProblemAsync(get, HttpStatusCode.NotFound);
        }
        using var teamRead = await bob.GetAsync($"/api/v1/vms/{team["id"]}");
        Assert.Equal(HttpStatusCode.OK, teamRead.StatusCode);
        using var teamWrite = await bob.SendAsync(Patch($"/api/v1/vms/{team["id"]}", new JsonObject { ["metadata"] = new JsonObject { ["by"] = "bob" } }));
        Assert.Equal(HttpStatusCode.OK, teamWrite.StatusCode);
    }

    [Fact]
    public async Task ANetworkOverlappingAnotherTenants_IsRefused_WithoutNamingTheirNetwork_ButOnesOwnIsNamed()
    {
        var bobs = await portal.ArrangeAsync(Owner.Bob, "networks", ApiClient.UniqueName("bob-secret"));
        var bobsName = (string)bobs["name"]!;
        var bobsSubnet = (string)bobs["spec"]!["ipv4Cidr"]!;
        var alices = await portal.ArrangeAsync(Owner.Alice, "networks", ApiClient.UniqueName("alice-net"));

        async Task<string> RefusalAsync(Caller caller, string cidr)
        {
            var body = new JsonObject { ["name"] = ApiClient.UniqueName("overlap"), ["spec"] = new JsonObject { ["ipv4Cidr"] = cidr } };
            using var response = await portal.Client(caller).PostAsync("/api/v1/networks", ApiClient.Json(body));
            return (string)(await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "overlaps"))["detail"]!;
        }

        var toAlice = await RefusalAsync(Caller.Alice, bobsSubnet);
        Assert.DoesNotContain(bobsName, toAlice, StringComparison.Ordinal);
        Assert.Contains("overlaps a network you cannot see", toAlice, StringComparison.Ordinal);
        Assert.Contains($"network '{bobsName}'", await RefusalAsync(Caller.Bob, bobsSubnet), StringComparison.Ordinal);
        Assert.Contains($"network '{bobsName}'", await RefusalAsync(Caller.Carol, bobsSubnet), StringComparison.Ordinal);
        Assert.Contains($"network '{alices["name"]}'", await RefusalAsync(Caller.Alice, (string)alices["spec"]!["ipv4Cidr"]!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletingAGroupsNetworkInUse_IsRefused_NamingOnlyTheVmsTheUserMaySee()
    {
        var network = (Guid)(await portal.ArrangeAsync(Owner.TeamX, "networks", ApiClient.UniqueName("team-net")))["id"]!;
        async Task<string> VmOnItAsync(Caller caller, string name)
        {
            var body = await portal.Api.SampleAsync("vms", ApiClient.UniqueName(name));
            body["spec"]!["nics"] = new JsonArray(new JsonObject { ["networkId"] = network });
            using var response = await portal.Client(caller).PostAsync("/api/v1/vms", ApiClient.Json(body));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return (string)body["name"]!;
        }
        var alices = await VmOnItAsync(Caller.Alice, "alice-on-team");
        var bobs = await VmOnItAsync(Caller.Bob, "bob-private");

        using var response = await portal.Client(Caller.Alice).DeleteAsync($"/api/v1/networks/{network}");

        var detail = (string)(await ApiClient.AssertProblemAsync(response, HttpStatusCode.Conflict, "is used by 2 VMs", alices, "one you cannot see"))["detail"]!;
        Assert.DoesNotContain(bobs, detail, StringComparison.Ordinal);
        using var asBob = await portal.Client(Caller.Bob).DeleteAsync($"/api/v1/networks/{network}");
        await ApiClient.AssertProblemAsync(asBob, HttpStatusCode.Conflict, bobs, "one you cannot see");
        using var asCarol = await portal.Client(Caller.Carol).DeleteAsync($"/api/v1/networks/{network}");
        await ApiClient.AssertProblemAsync(asCarol, HttpStatusCode.Conflict, alices, bobs);
    }

    private static async Task<List<string>> NamesAsync(HttpClient client, string run)
    {
        var page = JsonNode.Parse(await client.GetStringAsync("/api/v1/vms?limit=500&selector=" + Uri.EscapeDataString("group-test=" + run)))!;
        return page["items"]!.AsArray().Select(i => (string)i!["name"]!).Order().ToList();
    }

    /// <summary>The endpoints of the OpenAPI document, each classified; fails naming any endpoint the matrix does not know.</summary>
    private async Task<List<Endpoint>> EndpointsAsync()
    {
        var document = await portal.Api.GetAsync("/openapi/v1.json");
        var known = Kinds.All.Select(k => k.Name).ToHashSet();
        var endpoints = new List<Endpoint>();
        var unknown = new List<string>();
        foreach (var (path, operations) in document["paths"]!.AsObject())
        {
            foreach (var (method, _) in operations!.AsObject())
            {
                var upper = method.ToUpperInvariant();
                if (Classify(upper, path, known) is { } endpoint) endpoints.Add(endpoint);
                else unknown.Add($"{upper} {path}");
            }
        }
        Assert.True(unknown.Count == 0, "Endpoints the authorization matrix does not classify (add them to Shapes): " + string.Join(", ", unknown));
        // Every kind's common endpoints, the VM extras and hosts: a document that lost most of them would prove little.
        Assert.True(endpoints.Count >= Kinds.All.Count * 10 + 6, $"only {endpoints.Count} endpoints in the OpenAPI document");
        return endpoints;
    }

    private static string? KindOf(string path) =>
        path.StartsWith("/api/v1/vms", StringComparison.Ordinal) ? Kinds.Vms.Name
        : path.StartsWith("/api/v1/images", StringComparison.Ordinal) ? Kinds.Images.Name
        : path.StartsWith("/api/v1/networks", StringComparison.Ordinal) ? Kinds.Networks.Name
        : path.StartsWith("/api/v1/firewalls", StringComparison.Ordinal) ? Kinds.Firewalls.Name
        : null;

    private static Endpoint? Classify(string method, string path, HashSet<string> kinds)
    {
        foreach (var (shapeMethod, shapePath, op) in Shapes)
        {
            if (shapeMethod != method) continue;
            if (shapePath == path) return new Endpoint(method, path, KindOf(path), op);
            var pattern = "^" + Regex.Escape(shapePath).Replace(Regex.Escape("{kind}"), "(?<kind>[a-z-]+)", StringComparison.Ordinal) + "$";
            if (Regex.Match(path, pattern) is { Success: true } m && m.Groups["kind"].Success && kinds.Contains(m.Groups["kind"].Value))
                return new Endpoint(method, path, m.Groups["kind"].Value, op);
        }
        return null;
    }

    /// <summary>
    /// For each kind, an object of alice, of bob, of team-x and a shared one (tokens: alice's and bob's only), each at
    /// version 2 so diff and revert have something to work on, and (tokens aside) a system object Kraut made for alice. Shared machine types, images, networks and address pools
    /// are the seeded ones, the only objects without the dev label.
    /// </summary>
    private async Task<List<Target>> ArrangeTargetsAsync(IEnumerable<string> kinds, string run)
    {
        var seeded = new Dictionary<string, string> { ["machine-types"] = "small", ["images"] = "kraut-test-guest", ["networks"] = "default", ["address-pools"] = "default" };
        var targets = new List<Target>();
        foreach (var kind in kinds)
        {
            Owner[] owners = kind == Kinds.Tokens.Name ? [Owner.Alice, Owner.Bob] : [Owner.Alice, Owner.Bob, Owner.TeamX, Owner.Shared];
            foreach (var owner in owners)
            {
                Guid id;
                var labelled = !(owner == Owner.Shared && seeded.ContainsKey(kind)) && kind != Kinds.Tokens.Name;
                if (!labelled && seeded.TryGetValue(kind, out var name)) id = await portal.App.IdOfAsync(kind, name);
                else id = (Guid)(await portal.ArrangeAsync(owner, kind, $"{owner.ToString().ToLowerInvariant()}-{run}", Label(kind, run)))["id"]!;
                using var second = await portal.Api.PatchAsync($"/api/v1/{kind}/{id}", new JsonObject { ["metadata"] = new JsonObject { ["arranged"] = run } });
                Assert.Equal(HttpStatusCode.OK, second.StatusCode);
                var json = await ApiClient.ReadAsync(second);
                targets.Add(new Target(kind, owner, id, (string)json["name"]!, labelled));
            }
            if (kind == Kinds.Tokens.Name) continue;
            var system = (Guid)(await portal.ArrangeSystemAsync(Owner.Alice, kind, $"system-{run}", Label(kind, run)))["id"]!;
            var systemLabels = Label(kind, run);
            systemLabels["arranged"] = run;
            await portal.ChangeSystemMetadataAsync(kind, system, systemLabels);
            targets.Add(new Target(kind, Owner.Alice, system, $"system-{run}", Labelled: true, System: true));
        }
        return targets;
    }

    /// <summary>Matrix objects carry the dev label; VMs also one of this run, for the bulk action's selector.</summary>
    private static JsonObject Label(string kind, string run)
    {
        var label = DevLabel();
        if (kind == Kinds.Vms.Name) label["matrix"] = run;
        return label;
    }

    private static JsonObject DevLabel() => new() { ["env"] = "dev" };

    private async Task CheckAsync(Endpoint endpoint, Caller caller, Target? target, List<Target> targets, string run, ConcurrentQueue<string> failures)
    {
        var expected = Expect(endpoint, caller, target);
        // Allowed: the cell expects some success (a content call may also meet a phase conflict); refusals expect only errors.
        var allowed = expected.Statuses.Any(s => (int)s < 300);
        // A delete that should succeed gets an object of its own, so the rest of the matrix keeps its targets.
        if (endpoint.Op == Op.Delete && allowed && target is not null)
        {
            var fresh = await portal.ArrangeAsync(target.Owner, target.Kind, $"del-{caller}-{Guid.NewGuid().ToString("N")[..6]}".ToLowerInvariant(), DevLabel());
            target = target with { Id = (Guid)fresh["id"]! };
        }
        var cell = $"{caller} {endpoint.Method} {endpoint.Path}" + (target is null ? "" : $" on {target.Owner}'s {target.Name}");

        using var request = await RequestAsync(endpoint, caller, target, run, allowed);
        var before = await VersionsAsync(targets);
        using var response = await portal.Client(caller).SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        if (!expected.Statuses.Contains(response.StatusCode))
        {
            failures.Enqueue($"{cell}: {(int)response.StatusCode}, expected {string.Join(" or ", expected.Statuses.Select(s => (int)s))}: {Shorten(text)}");
            return;
        }
        if (!allowed && endpoint.Method != "HEAD") CheckProblem(cell, response, text, expected, failures);

        // Nothing of this kind the caller may not change changed, whatever it was answered (bulk actions reach many at once);
        // writes across kinds show in the history check at the end.
        var after = await VersionsAsync(targets);
        foreach (var other in targets)
        {
            var touched = endpoint.Op == Op.ActOnSelector ? other.Kind == Kinds.Vms.Name : other.Id == target?.Id;
            var mayWrite = !Reads.Contains(endpoint.Op) && allowed && MayChange(caller, other)
                && !(AdminManaged(other.Kind) && !Admins.Contains(caller));
            if (before[other.Id] != after[other.Id] && !(touched && mayWrite))
                failures.Enqueue($"{cell}: {other.Owner}'s {other.Kind} {other.Name} went from version {before[other.Id]} to {after[other.Id]}");
        }

        if (allowed) CheckContent(endpoint, caller, targets, run, text, cell, failures);
    }

    private static void CheckProblem(string cell, HttpResponseMessage response, string text, Expected expected, ConcurrentQueue<string> failures)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            failures.Enqueue($"{cell}: {(int)response.StatusCode} as {response.Content.Headers.ContentType?.MediaType}, not problem+json");
            return;
        }
        var detail = (string?)JsonNode.Parse(text)!["detail"];
        if (expected.Detail is { } part && detail?.Contains(part, StringComparison.Ordinal) != true)
            failures.Enqueue($"{cell}: detail \"{detail}\" does not say \"{part}\"");
    }

    /// <summary>What a successful list or bulk action contains: exactly the arranged objects the caller may see.</summary>
    private static void CheckContent(Endpoint endpoint, Caller caller, List<Target> targets, string run, string text, string cell, ConcurrentQueue<string> failures)
    {
        if (endpoint.Op == Op.List)
        {
            var listed = JsonNode.Parse(text)!["items"]!.AsArray().Select(i => (Guid)i!["id"]!).ToHashSet();
            var ofKind = targets.Where(t => t.Kind == endpoint.Kind).ToList();
            var wrong = ofKind.Where(t => listed.Contains(t.Id) != Sees(caller, t)).ToList();
            foreach (var t in wrong)
                failures.Enqueue($"{cell}: {t.Owner}'s {t.Name} is {(listed.Contains(t.Id) ? "listed" : "missing")}");
        }
        else if (endpoint.Op == Op.ActOnSelector)
        {
            var results = JsonNode.Parse(text)!.AsArray().ToDictionary(r => (Guid)r!["id"]!, r => (bool)r!["ok"]!);
            foreach (var vm in targets.Where(t => t.Kind == Kinds.Vms.Name))
            {
                // Bulk actions leave system objects out, for administrators too.
                if (results.ContainsKey(vm.Id) != (Sees(caller, vm) && !vm.System))
                    failures.Enqueue($"{cell}: {vm.Owner}'s {vm.Name} is {(results.ContainsKey(vm.Id) ? "acted on" : "missing")}");
                else if (results.TryGetValue(vm.Id, out var ok) && ok != MayChange(caller, vm))
                    failures.Enqueue($"{cell}: {vm.Owner}'s {vm.Name} reported ok={ok}");
            }
            if (results.Keys.Except(targets.Select(t => t.Id)).Any()) failures.Enqueue($"{cell}: acted on VMs outside the selector matrix={run}");
        }
    }

    private async Task<HttpRequestMessage> RequestAsync(Endpoint e, Caller caller, Target? target, string run, bool allowed)
    {
        var seeded = await portal.Api.SeededAsync();
        var path = e.Path.Replace("{id}", target?.Id.ToString(), StringComparison.Ordinal)
            .Replace("{version}", "1", StringComparison.Ordinal)
            .Replace("{action}", "force-off", StringComparison.Ordinal)
            .Replace("{sessionId}", Guid.NewGuid().ToString(), StringComparison.Ordinal);
        var current = e.Op is Op.Replace or Op.RemoveNic ? await portal.Api.FindAsync(target!.Kind, target.Id) : null;
        var tag = $"{caller}-{Guid.NewGuid().ToString("N")[..6]}";
        switch (e.Op)
        {
            case Op.List:
                return new HttpRequestMessage(HttpMethod.Get, path + "?limit=500");
            case Op.Diff:
                return new HttpRequestMessage(HttpMethod.Get, path + "?from=1&to=2");
            case Op.ActOnSelector:
                return new HttpRequestMessage(HttpMethod.Post, path + "?selector=" + Uri.EscapeDataString("matrix=" + run));
            case Op.Create:
                var body = e.Kind == Kinds.Tokens.Name
                    ? AuthorizationPortal.TokenBody(ApiClient.UniqueName("created"), ["read"], ["vms"])
                    : e.Kind == Kinds.Routers.Name
                    ? await portal.RouterBodyForAsync(caller, ApiClient.UniqueName("created"), DevLabel())
                    : e.Kind == Kinds.Snapshots.Name
                    ? await portal.SnapshotBodyForAsync(caller, ApiClient.UniqueName("created"), DevLabel())
                    : await portal.Api.SampleAsync(e.Kind!, ApiClient.UniqueName("created"), DevLabel());
                return With(HttpMethod.Post, path, body);
            case Op.Replace:
                // Keeps the labels, so a selector-limited token that may change the object does not move it outside its selector.
                var metadata = current!["metadata"]!.DeepClone().AsObject();
                metadata["replaced-by"] = tag;
                var replacement = new JsonObject
                {
                    ["name"] = current["name"]!.DeepClone(),
                    ["metadata"] = metadata,
                    ["spec"] = current["spec"]!.DeepClone(),
                };
                return With(HttpMethod.Put, path, replacement);
            case Op.Patch:
                return Patch(path, new JsonObject { ["metadata"] = new JsonObject { ["patched-by"] = tag } });
            case Op.Revert:
                return With(HttpMethod.Post, path, new JsonObject { ["version"] = 1 });
            case Op.AddNic:
                return With(HttpMethod.Post, path, new JsonObject { ["networkId"] = seeded.DefaultNetworkId });
            case Op.Upload:
                return new HttpRequestMessage(HttpMethod.Put, path) { Content = new ByteArrayContent("not a disk"u8.ToArray()) };
            case Op.Console:
                return With(HttpMethod.Post, path, new JsonObject { ["type"] = "serial" });
            case Op.Import:
                return With(HttpMethod.Post, path, new JsonObject { ["url"] = "http://127.0.0.1:9/disk.qcow2" });
            case Op.RemoveNic:
                // A removal that should succeed removes a NIC added for it; one that should not aims at a NIC the VM has.
                Guid nic;
                if (allowed)
                {
                    using var added = await portal.Api.PostAsync($"/api/v1/vms/{target!.Id}/nics", new JsonObject { ["networkId"] = seeded.DefaultNetworkId });
                    nic = (Guid)(await ApiClient.ReadAsync(added))["id"]!;
                }
                else
                {
                    nic = (Guid)current!["spec"]!["nics"]![0]!["id"]!;
                }
                return new HttpRequestMessage(HttpMethod.Delete, path.Replace("{nicId}", nic.ToString(), StringComparison.Ordinal));
            default:
                return new HttpRequestMessage(new HttpMethod(e.Method), path);
        }
    }

    private static HttpRequestMessage With(HttpMethod method, string path, JsonNode body) => new(method, path) { Content = ApiClient.Json(body) };

    private static HttpRequestMessage Patch(string path, JsonNode body) =>
        new(HttpMethod.Patch, path) { Content = ApiClient.Json(body, "application/merge-patch+json") };

    /// <summary>Every target's version (null once gone), in one query.</summary>
    private async Task<Dictionary<Guid, long?>> VersionsAsync(List<Target> targets)
    {
        var ids = targets.Select(t => t.Id).ToList();
        var stored = await portal.DbAsync(db => db.Resources.AsNoTracking().Where(r => ids.Contains(r.Id)).ToDictionaryAsync(r => r.Id, r => r.Version));
        return ids.ToDictionary(id => id, id => stored.TryGetValue(id, out var v) ? v : (long?)null);
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
