using System.IO.Compression;
using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features.Failures;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using Microsoft.Extensions.DependencyInjection;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Quotas;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Failures;

/// <summary>
/// The quota test portal plus a second configured host that does not answer (nothing listens on port 1). Apart from the
/// other failure tests: with a host that does not answer, an unplaced VM's deletion waits for it (its domain might be there).
/// </summary>
public sealed class UnreachableHostPortal() : QuotaPortal(new Dictionary<string, string?> { ["Kraut:Hosts:1"] = UnreachableHost })
{
    public const string UnreachableHost = "qemu+tcp://127.0.0.1:1/system";
}

public sealed class UnreachableHostFailureTests(UnreachableHostPortal portal) : IClassFixture<UnreachableHostPortal>
{
    [Fact]
    public async Task AConfiguredHostThatDoesNotAnswer_IsListedForAdministrators_Only()
    {
        var host = Assert.Single(await ListAsync("carol"), f => (string?)f["kind"] == "hosts");
        Assert.Equal(UnreachableHostPortal.UnreachableHost, (string?)host["name"]);
        Assert.Contains("does not answer", (string?)host["message"], StringComparison.Ordinal);
        Assert.DoesNotContain(await ListAsync("alice"), f => (string?)f["kind"] == "hosts");
    }

    /// <summary>A VM record as Kraut stored them before placement moved into the create: no host in spec or status.</summary>
    private async Task<Guid> StoreUnplacedVmAsync(string owner, string machineType)
    {
        var spec = new JsonObject
        {
            ["imageId"] = (await portal.App.IdOfAsync("images", "kraut-test-guest")).ToString(),
            ["machineTypeId"] = (await portal.App.IdOfAsync("machine-types", machineType)).ToString(),
        };
        await using var scope = portal.App.Services.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<ResourceStore>().CreateAsync(
            new NewResource("vms", ApiClient.UniqueName("old"), owner, new JsonObject(), spec.ToJsonString(), "{}"), Actor.System, CancellationToken.None);
        portal.App.Service<VmReconciler>().Enqueue(row.Id);
        return row.Id;
    }

    private async Task<List<JsonNode>> ListAsync(string user) =>
        JsonNode.Parse(await portal.As(user).GetStringAsync("/api/v1/failures"))!.AsArray().Select(f => f!).ToList();
}

/// <summary>What went wrong shows with its message and link, to whom it belongs, and goes when it is put right.</summary>
public sealed class FailureTests(QuotaPortal portal) : IClassFixture<QuotaPortal>
{
    [Fact]
    public async Task AVmWhosePlacementFails_IsListedWithItsMessageAndLink_ToItsOwnerAndAdmins_AndGoesWhenDeleted()
    {
        // A VM on the one usable host, then a dedicated one: no host is free for it. A create is refused at once (409,
        // the scheduler's explanation); a VM stored before placement moved into the create is placed by the reconciler,
        // and fails there with the same explanation.
        var first = await CreateVmAsync("alice", "small");
        await Eventually.WaitUntilAsync(async () => (await portal.Api.GetAsync($"/api/v1/vms/{first}"))["status"]!["host"] is not null,
            TimeSpan.FromSeconds(10), "the first VM to be placed");
        using (var refused = await portal.CreateVmAsync("alice", await portal.VmBodyAsync(ApiClient.UniqueName("fail"), "dedicated")))
            await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Conflict, "dedicated: has 1 VM; a dedicated VM needs an empty host");
        var dedicated = await StoreUnplacedVmAsync("alice", "dedicated");
        await portal.Api.WaitForPhaseAsync(dedicated, "failed");

        var failure = await Eventually.WaitForAsync(async () => (await ListAsync("alice")).FirstOrDefault(f => (string?)f["id"] == dedicated.ToString()),
            TimeSpan.FromSeconds(10), "the placement failure to be listed");
        Assert.Equal("vms", (string?)failure["kind"]);
        Assert.Equal("alice", (string?)failure["owner"]);
        Assert.Equal($"/vms/{dedicated}", (string?)failure["link"]);
        Assert.Contains("dedicated: has 1 VM; a dedicated VM needs an empty host", (string?)failure["message"], StringComparison.Ordinal);
        Assert.Contains(await ListAsync("carol"), f => (string?)f["id"] == dedicated.ToString());
        Assert.DoesNotContain(await ListAsync("bob"), f => (string?)f["id"] == dedicated.ToString());
        // A limited token sees what a plain GET would show it: a token that may read VMs sees it, one for images only
        // does not, and one narrowed by a selector sees the VMs whose metadata it matches (this one is labelled env=dev).
        Assert.Contains(await ListWithTokenAsync("alice", ["vms"], null), f => (string?)f["id"] == dedicated.ToString());
        Assert.DoesNotContain(await ListWithTokenAsync("alice", ["images"], null), f => (string?)f["id"] == dedicated.ToString());
        Assert.Contains(await ListWithTokenAsync("alice", ["vms"], "env=dev"), f => (string?)f["id"] == dedicated.ToString());
        Assert.DoesNotContain(await ListWithTokenAsync("alice", ["vms"], "env=prod"), f => (string?)f["id"] == dedicated.ToString());

        using (var delete = await portal.As("alice").DeleteAsync($"/api/v1/vms/{dedicated}")) Assert.True(delete.IsSuccessStatusCode);
        await portal.Api.WaitUntilGoneAsync("vms", dedicated);
        Assert.DoesNotContain(await ListAsync("alice"), f => (string?)f["id"] == dedicated.ToString());
    }

    [Fact]
    public async Task AnImageWhoseConversionFails_IsListedWithItsMessageAndLink_NotToOtherTenants_AndGoesWhenDeleted()
    {
        using var created = await portal.As("dave").PostAsync("/api/v1/images", ApiClient.Json(new JsonObject
        {
            ["name"] = ApiClient.UniqueName("bad"), ["spec"] = new JsonObject { ["architecture"] = "x86_64" },
        }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (Guid)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!;
        using var packed = new MemoryStream();
        await using (var gzip = new GZipStream(packed, CompressionLevel.Fastest, leaveOpen: true)) await gzip.WriteAsync(new byte[64 * 1024]);
        using (var put = await portal.As("dave").PutAsync($"/api/v1/images/{id}/content", new ByteArrayContent(packed.ToArray())))
            Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);

        var failure = await Eventually.WaitForAsync(async () => (await ListAsync("dave")).FirstOrDefault(f => (string?)f["id"] == id.ToString()),
            TimeSpan.FromSeconds(30), "the failed conversion to be listed");
        Assert.Equal("images", (string?)failure["kind"]);
        Assert.Equal($"/images/{id}", (string?)failure["link"]);
        Assert.Contains("gzip-compressed", (string?)failure["message"], StringComparison.Ordinal);
        Assert.DoesNotContain(await ListAsync("erin"), f => (string?)f["id"] == id.ToString());

        using (var delete = await portal.As("dave").DeleteAsync($"/api/v1/images/{id}")) Assert.True(delete.IsSuccessStatusCode);
        await portal.Api.WaitUntilGoneAsync("images", id);
        Assert.DoesNotContain(await ListAsync("dave"), f => (string?)f["id"] == id.ToString());
    }

    [Fact]
    public async Task AReconcileThatKeepsFailing_IsListedUntilAPassSucceeds()
    {
        var vm = await CreateVmAsync("erin", "small");
        var registry = portal.App.Service<ReconcileErrorRegistry>();
        registry.Failed("VmReconciler", vm, "libvirt said no", 3);
        var failure = Assert.Single(await ListAsync("erin"), f => (string?)f["id"] == vm.ToString());
        Assert.Equal("reconcile", (string?)failure["source"]);
        Assert.StartsWith("libvirt said no (tried 3 times", (string?)failure["message"], StringComparison.Ordinal);
        Assert.DoesNotContain(await ListAsync("dave"), f => (string?)f["id"] == vm.ToString());
        // A reconcile error is judged like the object's plain GET too: a token whose selector the VM does not match
        // (it has no labels) does not see it.
        Assert.Contains(await ListWithTokenAsync("erin", ["vms"], null), f => (string?)f["id"] == vm.ToString());
        Assert.DoesNotContain(await ListWithTokenAsync("erin", ["vms"], "env=dev"), f => (string?)f["id"] == vm.ToString());
        registry.Succeeded("VmReconciler", vm);
        Assert.DoesNotContain(await ListAsync("erin"), f => (string?)f["id"] == vm.ToString());
    }

    private async Task<Guid> CreateVmAsync(string user, string machineType)
    {
        using var response = await portal.CreateVmAsync(user, await portal.VmBodyAsync(ApiClient.UniqueName("fail"), machineType));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return (Guid)JsonNode.Parse(text)!["id"]!;
    }

    /// <summary>A VM record as Kraut stored them before placement moved into the create: no host in spec or status; labelled env=dev.</summary>
    private async Task<Guid> StoreUnplacedVmAsync(string owner, string machineType)
    {
        var spec = new JsonObject
        {
            ["imageId"] = (await portal.App.IdOfAsync("images", "kraut-test-guest")).ToString(),
            ["machineTypeId"] = (await portal.App.IdOfAsync("machine-types", machineType)).ToString(),
        };
        await using var scope = portal.App.Services.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<ResourceStore>().CreateAsync(
            new NewResource("vms", ApiClient.UniqueName("old"), owner, new JsonObject { ["env"] = "dev" }, spec.ToJsonString(), "{}"), Actor.System, CancellationToken.None);
        portal.App.Service<VmReconciler>().Enqueue(row.Id);
        return row.Id;
    }

    private async Task<List<JsonNode>> ListAsync(string user) =>
        JsonNode.Parse(await portal.As(user).GetStringAsync("/api/v1/failures"))!.AsArray().Select(f => f!).ToList();

    private async Task<List<JsonNode>> ListWithTokenAsync(string user, string[] kinds, string? selector)
    {
        using var created = await portal.As(user).PostAsync("/api/v1/tokens", ApiClient.Json(
            Authorization.AuthorizationPortal.TokenBody(ApiClient.UniqueName("failures"), ["read"], kinds, selector)));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = (string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["secret"]!;
        using var client = portal.App.CreateAnonymousClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + secret);
        return JsonNode.Parse(await client.GetStringAsync("/api/v1/failures"))!.AsArray().Select(f => f!).ToList();
    }
}
