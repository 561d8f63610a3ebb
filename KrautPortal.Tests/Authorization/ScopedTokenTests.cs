using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KrautPortal.Features.Store;
using KrautPortal.Features.Tokens;
using KrautPortal.Tests.Api;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Tests.Authorization;

/// <summary>Tokens alice makes through the API: each limit (verbs, kinds, selector, expiry) holds, and a token is never more than alice.</summary>
[Collection(AuthorizationCollection.Name)]
public sealed class ScopedTokenTests(AuthorizationPortal portal)
{
    private HttpClient Alice => portal.Client(Caller.Alice);

    /// <summary>
    /// Requests on one of alice's VMs and the verbs each needs, in the order they are checked (delete last: it takes the
    /// VM away). Revert needs read as well as update: it reads the earlier version it goes back to.
    /// </summary>
    private async Task<List<(string[] Needs, string What, HttpRequestMessage Request)>> RequestsNeedingEachVerbAsync(Guid vm)
    {
        var network = (await portal.Api.SeededAsync()).DefaultNetworkId;
        var current = await portal.Api.GetAsync($"/api/v1/vms/{vm}");
        return
        [
            (["read"], "GET the VM", new(HttpMethod.Get, $"/api/v1/vms/{vm}")),
            (["read"], "list VMs", new(HttpMethod.Get, "/api/v1/vms")),
            (["read"], "GET its history", new(HttpMethod.Get, $"/api/v1/vms/{vm}/history")),
            (["read"], "GET its NICs", new(HttpMethod.Get, $"/api/v1/vms/{vm}/nics")),
            (["create"], "POST a VM", Json(HttpMethod.Post, "/api/v1/vms", await portal.Api.SampleAsync("vms", ApiClient.UniqueName("by-token")))),
            (["update"], "PATCH the VM", Json(HttpMethod.Patch, $"/api/v1/vms/{vm}", new JsonObject { ["metadata"] = new JsonObject { ["patched"] = "yes" } }, "application/merge-patch+json")),
            (["update"], "PUT the VM", Json(HttpMethod.Put, $"/api/v1/vms/{vm}", new JsonObject
            {
                ["name"] = current["name"]!.DeepClone(), ["metadata"] = new JsonObject { ["put"] = "yes" }, ["spec"] = current["spec"]!.DeepClone(),
            })),
            (["update", "read"], "revert the VM", Json(HttpMethod.Post, $"/api/v1/vms/{vm}/revert", new JsonObject { ["version"] = 1 })),
            (["update"], "add a NIC", Json(HttpMethod.Post, $"/api/v1/vms/{vm}/nics", new JsonObject { ["networkId"] = network })),
            (["start"], "start it", new(HttpMethod.Post, $"/api/v1/vms/{vm}/actions/start")),
            (["stop"], "stop it", new(HttpMethod.Post, $"/api/v1/vms/{vm}/actions/stop")),
            (["reboot"], "reboot it", new(HttpMethod.Post, $"/api/v1/vms/{vm}/actions/reboot")),
            (["force-off"], "force it off", new(HttpMethod.Post, $"/api/v1/vms/{vm}/actions/force-off")),
            (["delete"], "DELETE the VM", new(HttpMethod.Delete, $"/api/v1/vms/{vm}")),
        ];
    }

    [Fact]
    public async Task ATokenOfOneVerb_MayDoThatVerbOnly_AndEveryOtherVerbIs403WithAReasonNamingIt()
    {
        var failures = new List<string>();
        foreach (var verb in TokenVerbs.Crud.Concat(KrautPortal.Features.Vms.VmOperations.Actions))
        {
            var vm = (Guid)(await portal.ArrangeAsync(Owner.Alice, "vms", ApiClient.UniqueName(verb)))["id"]!;
            var token = await portal.CreateTokenAsync(Caller.Alice, verb, [verb], ["vms"]);
            using var client = portal.TokenClient(token);
            foreach (var (needs, what, request) in await RequestsNeedingEachVerbAsync(vm))
            {
                using var _ = request;
                var before = await VersionAsync(vm);
                using var response = await client.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                if (needs.All(n => n == verb))
                {
                    if ((int)response.StatusCode is < 200 or > 299) failures.Add($"a {verb} token may not {what}: {(int)response.StatusCode} {text}");
                    continue;
                }
                var missing = needs.First(n => n != verb);
                if (response.StatusCode != HttpStatusCode.Forbidden || !text.Contains($"This token may not {missing} VMs", StringComparison.Ordinal))
                    failures.Add($"a {verb} token trying to {what}: {(int)response.StatusCode} {text}");
                if (await VersionAsync(vm) != before) failures.Add($"a {verb} token trying to {what} changed the VM");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task ATokenOfOneKind_ReadsThatKindOnly_AndEveryOtherKindIs403NamingIt()
    {
        foreach (var kind in AuthorizationPortal.Tokenable)
        {
            var token = await portal.CreateTokenAsync(Caller.Alice, kind, ["read"], [kind]);
            using var client = portal.TokenClient(token);
            foreach (var other in Kinds.All)
            {
                using var response = await client.GetAsync($"/api/v1/{other.Name}");
                if (other.Name == kind) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                else await ApiClient.AssertProblemAsync(response, HttpStatusCode.Forbidden, $"This token may not read {other.Plural}");
            }
        }
    }

    [Fact]
    public async Task ASelectorToken_SeesOnlyAlicesMatchingVms_AndMayNeitherMakeNorMoveAVmOutsideIt()
    {
        var web = ApiClient.UniqueName("web");
        var inside = new JsonObject { ["project"] = web };
        var aliceWeb = (Guid)(await portal.ArrangeAsync(Owner.Alice, "vms", web, inside))["id"]!;
        var aliceDb = (Guid)(await portal.ArrangeAsync(Owner.Alice, "vms", ApiClient.UniqueName("db"), new JsonObject { ["project"] = "db" }))["id"]!;
        var bobWeb = (Guid)(await portal.ArrangeAsync(Owner.Bob, "vms", ApiClient.UniqueName("bob-web"), inside.DeepClone().AsObject()))["id"]!;
        var token = await portal.CreateTokenAsync(Caller.Alice, "web", ["read", "create", "update"], ["vms"], $"project={web}");
        using var client = portal.TokenClient(token);

        var listed = JsonNode.Parse(await client.GetStringAsync("/api/v1/vms?limit=500"))!["items"]!.AsArray().Select(i => (Guid)i!["id"]!).ToList();
        Assert.Equal([aliceWeb], listed);
        foreach (var outside in new[] { aliceDb, bobWeb })
            await ApiClient.AssertProblemAsync(await client.GetAsync($"/api/v1/vms/{outside}"), HttpStatusCode.NotFound);

        // Made inside the selector: allowed, though the image and machine type it uses are shared ones outside it.
        using var madeInside = await client.PostAsJsonAsync("/api/v1/vms", await portal.Api.SampleAsync("vms", ApiClient.UniqueName("web-new"), inside.DeepClone().AsObject()));
        Assert.True(madeInside.StatusCode == HttpStatusCode.Created, await madeInside.Content.ReadAsStringAsync());

        var outsideBody = await portal.Api.SampleAsync("vms", ApiClient.UniqueName("db-new"), new JsonObject { ["project"] = "db" });
        var problem = await ApiClient.AssertProblemAsync(await client.PostAsJsonAsync("/api/v1/vms", outsideBody), HttpStatusCode.UnprocessableEntity,
            $"only reaches objects whose metadata matches 'project={web}'");
        Assert.NotNull(problem["errors"]!["metadata"]);

        var before = await VersionAsync(aliceWeb);
        using var move = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/vms/{aliceWeb}")
        {
            Content = ApiClient.Json(new JsonObject { ["metadata"] = new JsonObject { ["project"] = "db" } }, "application/merge-patch+json"),
        };
        await ApiClient.AssertProblemAsync(await client.SendAsync(move), HttpStatusCode.UnprocessableEntity, $"project={web}");
        Assert.Equal(before, await VersionAsync(aliceWeb));
        Assert.Equal(web, (string?)(await portal.Api.GetAsync($"/api/v1/vms/{aliceWeb}"))["metadata"]!["project"]);
    }

    [Fact]
    public async Task ADevToken_CannotReadAProdVmsHistoryVersionsOrDiff_WhileItExistsNorAfterItIsDeleted()
    {
        var prod = (Guid)(await portal.ArrangeAsync(Owner.Alice, "vms", ApiClient.UniqueName("prod"), new JsonObject { ["env"] = "prod" }))["id"]!;
        using (var patched = await portal.Api.PatchAsync($"/api/v1/vms/{prod}", new JsonObject { ["spec"] = new JsonObject { ["userData"] = "#!/bin/sh\necho prod-secret" } }))
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var dev = await portal.CreateTokenAsync(Caller.Alice, "dev", ["read", "update", "delete"], ["vms"], "env=dev");
        using var client = portal.TokenClient(dev);
        string[] reads = [$"/api/v1/vms/{prod}", $"/api/v1/vms/{prod}/history", $"/api/v1/vms/{prod}/history/2", $"/api/v1/vms/{prod}/diff?from=1&to=2"];

        foreach (var url in reads)
        {
            using var response = await client.GetAsync(url);
            var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound);
            Assert.DoesNotContain("prod-secret", problem.ToJsonString(), StringComparison.Ordinal);
        }
        using (var revert = await client.PostAsJsonAsync($"/api/v1/vms/{prod}/revert", new JsonObject { ["version"] = 1 }))
            await ApiClient.AssertProblemAsync(revert, HttpStatusCode.NotFound);

        // Deleted, the VM's history is judged by its last snapshot: still prod, still outside the token's selector.
        using (var deleted = await Alice.DeleteAsync($"/api/v1/vms/{prod}"))
            Assert.True(deleted.IsSuccessStatusCode, $"deleting gave {(int)deleted.StatusCode}");
        await Eventually.WaitForAsync(async () => await portal.Api.FindAsync("vms", prod) is null ? "gone" : null, TimeSpan.FromSeconds(10), "the VM to be removed");
        foreach (var url in reads.Skip(1))
            await ApiClient.AssertProblemAsync(await client.GetAsync(url), HttpStatusCode.NotFound);
        foreach (var url in reads.Skip(1))
            Assert.Equal(HttpStatusCode.OK, (await Alice.GetAsync(url)).StatusCode);
    }

    [Fact]
    public async Task ATokenForTeamNotAPlusB_CanNeitherReadNorChangeNorDeleteATeamAPlusBVm()
    {
        var ab = (Guid)(await portal.ArrangeAsync(Owner.Alice, "vms", ApiClient.UniqueName("ab"), new JsonObject { ["team"] = "a+b" }))["id"]!;
        var other = (Guid)(await portal.ArrangeAsync(Owner.Alice, "vms", ApiClient.UniqueName("a-b"), new JsonObject { ["team"] = "a-b" }))["id"]!;
        var token = await portal.CreateTokenAsync(Caller.Alice, "not-ab", ["read", "update", "delete"], ["vms"], "team!=a+b");
        using var client = portal.TokenClient(token);

        var listed = JsonNode.Parse(await client.GetStringAsync("/api/v1/vms?limit=500"))!["items"]!.AsArray().Select(i => (Guid)i!["id"]!).ToList();
        Assert.DoesNotContain(ab, listed);
        Assert.Contains(other, listed);
        await ApiClient.AssertProblemAsync(await client.GetAsync($"/api/v1/vms/{ab}"), HttpStatusCode.NotFound);
        await ApiClient.AssertProblemAsync(await client.GetAsync($"/api/v1/vms/{ab}/history"), HttpStatusCode.NotFound);
        using (var patch = Json(HttpMethod.Patch, $"/api/v1/vms/{ab}", new JsonObject { ["metadata"] = new JsonObject { ["x"] = "y" } }, "application/merge-patch+json"))
            await ApiClient.AssertProblemAsync(await client.SendAsync(patch), HttpStatusCode.NotFound);
        await ApiClient.AssertProblemAsync(await client.DeleteAsync($"/api/v1/vms/{ab}"), HttpStatusCode.NotFound);

        var survivor = await portal.Api.GetAsync($"/api/v1/vms/{ab}");
        Assert.Equal("a+b", (string?)survivor["metadata"]!["team"]);
        Assert.Null(survivor["deletionRequestedAt"]);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/vms/{other}")).StatusCode);
    }

    [Fact]
    public async Task ATokensScope_CannotBeChangedAfterItIsMade_ButItsNameMetadataAndDescriptionCan()
    {
        var token = await portal.CreateTokenAsync(Caller.Alice, "fixed", ["read"], ["vms"], "env=dev", DateTime.UtcNow.AddDays(1));
        var url = $"/api/v1/tokens/{token.Id}";
        var before = await portal.Api.GetAsync(url);
        var widenings = new (string Field, JsonObject Spec)[]
        {
            ("spec.verbs", new() { ["verbs"] = new JsonArray("read", "delete") }),
            ("spec.kinds", new() { ["kinds"] = new JsonArray("vms", "networks") }),
            ("spec.selector", new() { ["selector"] = null }),
            ("spec.selector", new() { ["selector"] = "env in (dev,prod)" }),
            ("spec.expiresAt", new() { ["expiresAt"] = DateTime.UtcNow.AddDays(300).ToString("O") }),
            // Even a narrower scope is a new token: the scope is fixed, not a ceiling.
            ("spec.expiresAt", new() { ["expiresAt"] = DateTime.UtcNow.AddHours(2).ToString("O") }),
        };
        foreach (var (field, spec) in widenings)
        {
            using var patch = Json(HttpMethod.Patch, url, new JsonObject { ["spec"] = spec }, "application/merge-patch+json");
            var problem = await ApiClient.AssertProblemAsync(await Alice.SendAsync(patch), HttpStatusCode.UnprocessableEntity, "cannot change after it is made; revoke it and create a new one");
            Assert.NotNull(problem["errors"]![field]);
        }
        var replaced = before.DeepClone().AsObject();
        replaced["spec"]!["verbs"] = new JsonArray("read", "update");
        using (var put = Json(HttpMethod.Put, url, new JsonObject { ["name"] = replaced["name"]!.DeepClone(), ["metadata"] = new JsonObject(), ["spec"] = replaced["spec"]!.DeepClone() }))
            await ApiClient.AssertProblemAsync(await Alice.SendAsync(put), HttpStatusCode.UnprocessableEntity, "revoke it and create a new one");
        Assert.True(JsonNode.DeepEquals(before["spec"], (await portal.Api.GetAsync(url))["spec"]));

        using (var rename = Json(HttpMethod.Patch, url, new JsonObject
        {
            ["name"] = ApiClient.UniqueName("renamed"), ["metadata"] = new JsonObject { ["purpose"] = "ci" }, ["spec"] = new JsonObject { ["description"] = "for CI" },
        }, "application/merge-patch+json"))
        {
            Assert.Equal(HttpStatusCode.OK, (await Alice.SendAsync(rename)).StatusCode);
        }
        var after = await portal.Api.GetAsync(url);
        Assert.Equal("for CI", (string?)after["spec"]!["description"]);
        Assert.Equal("env=dev", (string?)after["spec"]!["selector"]);
    }

    [Fact]
    public async Task AnExpiredToken_Gets401SayingItExpired_AndNoExpiryInThePastOrBeyondAYearIsAccepted()
    {
        var expiry = DateTime.UtcNow.AddHours(1);
        var token = await portal.CreateTokenAsync(Caller.Alice, "soon", ["read"], ["vms"], expiresAt: expiry);
        using var client = portal.TokenClient(token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/vms")).StatusCode);

        portal.Clock.Offset = TimeSpan.FromHours(2);
        try
        {
            await ApiClient.AssertProblemAsync(await client.GetAsync("/api/v1/vms"), HttpStatusCode.Unauthorized, "This token expired at");
        }
        finally
        {
            portal.Clock.Offset = TimeSpan.Zero;
        }

        foreach (var (when, why) in new[] { (DateTime.UtcNow.AddMinutes(-1), "in the future"), (DateTime.UtcNow.AddDays(367), "at most 366 days") })
        {
            using var refused = await Alice.PostAsJsonAsync("/api/v1/tokens", AuthorizationPortal.TokenBody(ApiClient.UniqueName("bad"), ["read"], ["vms"], expiresAt: when));
            await ApiClient.AssertProblemAsync(refused, HttpStatusCode.UnprocessableEntity, why);
        }
    }

    [Fact]
    public async Task ARevokedToken_IsRefusedOnTheVeryNextRequest_AndItsSecretHashIsGone()
    {
        var token = await portal.CreateTokenAsync(Caller.Alice, "revoke", ["read"], ["vms"]);
        using var client = portal.TokenClient(token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/vms")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await Alice.DeleteAsync($"/api/v1/tokens/{token.Id}")).StatusCode);

        await ApiClient.AssertProblemAsync(await client.GetAsync("/api/v1/vms"), HttpStatusCode.Unauthorized, "This token is not valid (revoked");
        Assert.False(await portal.DbAsync(db => db.TokenSecrets.AnyAsync(t => t.TokenId == token.Id)));
    }

    [Fact]
    public async Task ATokensSecret_IsInTheCreateAnswerOnly_AndStoredAsASha256Hash()
    {
        var created = await Alice.PostAsJsonAsync("/api/v1/tokens", AuthorizationPortal.TokenBody(ApiClient.UniqueName("once"), ["read"], ["vms"]));
        var answer = await ApiClient.ReadAsync(created);
        var full = (string)answer["secret"]!;
        var id = Guid.Parse((string)answer["token"]!["id"]!);
        portal.Secrets.Add(full);
        Assert.Matches($"^kraut_{id:N}_[0-9a-f]{{64}}$", full);
        var secret = full.Split('_')[^1];
        portal.Secrets.Add(secret);
        Assert.DoesNotContain(secret, answer["token"]!.ToJsonString(), StringComparison.Ordinal);
        using (var patched = await portal.Api.PatchAsync($"/api/v1/tokens/{id}", new JsonObject { ["spec"] = new JsonObject { ["description"] = "v2" } }))
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);

        foreach (var client in new[] { Alice, portal.Api.Http })
        {
            foreach (var url in new[] { $"/api/v1/tokens/{id}", "/api/v1/tokens?limit=500", $"/api/v1/tokens/{id}/history", $"/api/v1/tokens/{id}/history/1", $"/api/v1/tokens/{id}/diff?from=1&to=2" })
            {
                using var response = await client.GetAsync(url);
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {text}");
                Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            }
        }

        var stored = await portal.DbAsync(db => db.TokenSecrets.AsNoTracking().SingleAsync(t => t.TokenId == id));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret))), stored.Sha256);
        var database = portal.DatabaseBytes();
        Assert.True(database.Length > 0);
        Assert.Equal(-1, database.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)));
    }

    [Fact]
    public async Task ATokenCannotMakeOrChangeTokens_NorCanATokenBeMadeThatReachesTokens()
    {
        var all = portal.TokenClient(portal.AliceToken);
        var before = await portal.DbAsync(db => db.TokenSecrets.CountAsync());

        await ApiClient.AssertProblemAsync(await all.PostAsJsonAsync("/api/v1/tokens", AuthorizationPortal.TokenBody(ApiClient.UniqueName("child"), ["read"], ["vms"])),
            HttpStatusCode.Forbidden, "This token may not create tokens");
        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/tokens/{portal.AliceToken.Id}")
        {
            Content = ApiClient.Json(new JsonObject { ["spec"] = new JsonObject { ["description"] = "mine now" } }, "application/merge-patch+json"),
        };
        await ApiClient.AssertProblemAsync(await all.SendAsync(patch), HttpStatusCode.Forbidden, "This token may not update tokens");
        await ApiClient.AssertProblemAsync(await all.DeleteAsync($"/api/v1/tokens/{portal.AliceToken.Id}"), HttpStatusCode.Forbidden, "This token may not delete tokens");
        await ApiClient.AssertProblemAsync(await Alice.PostAsJsonAsync("/api/v1/tokens", AuthorizationPortal.TokenBody(ApiClient.UniqueName("meta"), ["create"], ["tokens"])),
            HttpStatusCode.UnprocessableEntity, "'tokens' is not a kind a token may reach");

        Assert.Equal(before, await portal.DbAsync(db => db.TokenSecrets.CountAsync()));
    }

    [Fact]
    public async Task BobCannotSeeOrRevokeAlicesTokens_TheyAreNotFoundForHim()
    {
        var bob = portal.Client(Caller.Bob);
        var token = await portal.CreateTokenAsync(Caller.Alice, "alices", ["read"], ["vms"]);

        var listed = JsonNode.Parse(await bob.GetStringAsync("/api/v1/tokens?limit=500"))!["items"]!.AsArray().Select(i => (Guid)i!["id"]!);
        Assert.DoesNotContain(token.Id, listed);
        await ApiClient.AssertProblemAsync(await bob.GetAsync($"/api/v1/tokens/{token.Id}"), HttpStatusCode.NotFound);
        await ApiClient.AssertProblemAsync(await bob.DeleteAsync($"/api/v1/tokens/{token.Id}"), HttpStatusCode.NotFound);

        using var client = portal.TokenClient(token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/vms")).StatusCode);
    }

    [Fact]
    public async Task AlicesTokenWithEveryVerbAndKind_IsStillNoMoreThanAlice()
    {
        var all = portal.TokenClient(portal.AliceToken);
        var small = (await portal.Api.SeededAsync()).SmallId;

        await ApiClient.AssertProblemAsync(await all.PostAsJsonAsync("/api/v1/machine-types", await portal.Api.SampleAsync("machine-types", ApiClient.UniqueName("mine"))),
            HttpStatusCode.Forbidden, "Only administrators manage machine types");
        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/images/{(await portal.Api.SeededAsync()).ImageId}")
        {
            Content = ApiClient.Json(new JsonObject { ["metadata"] = new JsonObject { ["mine"] = "now" } }, "application/merge-patch+json"),
        };
        await ApiClient.AssertProblemAsync(await all.SendAsync(patch), HttpStatusCode.Forbidden, "shared by the administrators");
        var bobs = (Guid)(await portal.ArrangeAsync(Owner.Bob, "vms", ApiClient.UniqueName("bob")))["id"]!;
        await ApiClient.AssertProblemAsync(await all.GetAsync($"/api/v1/vms/{bobs}"), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await all.GetAsync($"/api/v1/machine-types/{small}")).StatusCode);
    }

    private Task<long> VersionAsync(Guid vm) =>
        portal.DbAsync(db => db.Resources.AsNoTracking().Where(r => r.Id == vm).Select(r => r.Version).SingleOrDefaultAsync());

    private static HttpRequestMessage Json(HttpMethod method, string url, JsonNode body, string mediaType = "application/json") =>
        new(method, url) { Content = ApiClient.Json(body, mediaType) };
}
