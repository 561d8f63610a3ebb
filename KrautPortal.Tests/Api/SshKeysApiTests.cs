using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features.SshKeys;
using KrautPortal.Tests.CloudInit;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Api;

/// <summary>The signed-in user's SSH keys through /api/v1/profile/ssh-keys.</summary>
public sealed class SshKeysApiTests(ApiClient api) : IClassFixture<ApiClient>
{
    private const string Url = "/api/v1/profile/ssh-keys";

    [Fact]
    public async Task Keys_AreAddedListedAndRemoved_WithClearErrors()
    {
        var key = TestKeys.Ed25519("api@test");

        using var created = await api.PostAsync(Url, new JsonObject { ["key"] = key + "\n" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var added = await ApiClient.ReadAsync(created);
        Assert.Equal("ssh-ed25519", (string?)added["type"]);
        Assert.Equal("api@test", (string?)added["comment"]);
        Assert.Equal(key, (string?)added["key"]);
        Assert.StartsWith("SHA256:", (string?)added["fingerprint"], StringComparison.Ordinal);
        var id = (string)added["id"]!;
        Assert.Equal($"{Url}/{id}", created.Headers.Location?.OriginalString);

        Assert.Contains(await api.GetArrayAsync(Url), k => (string?)k!["id"] == id);

        using (var again = await api.PostAsync(Url, new JsonObject { ["key"] = key }))
            await ApiClient.AssertProblemAsync(again, HttpStatusCode.Conflict, "already on your profile");

        using (var bad = await api.PostAsync(Url, new JsonObject { ["key"] = "ssh-dss AAAAB3NzaC1kc3M= old" }))
        {
            var problem = await ApiClient.AssertProblemAsync(bad, HttpStatusCode.UnprocessableEntity, "not a supported key type");
            Assert.NotNull(problem["errors"]!["key"]);
        }

        using (var removed = await api.DeleteAsync($"{Url}/{id}")) Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.DoesNotContain(await api.GetArrayAsync(Url), k => (string?)k!["id"] == id);
        using (var gone = await api.DeleteAsync($"{Url}/{id}")) await ApiClient.AssertProblemAsync(gone, HttpStatusCode.NotFound, "no key with id");
    }

    [Fact]
    public async Task Keys_BelongToTheirUser()
    {
        await using var scope = api.App.Services.CreateAsyncScope();
        var keys = scope.ServiceProvider.GetRequiredService<SshKeyService>();
        var alice = await keys.AddAsync("alice-keys", TestKeys.Ed25519("alice"), CancellationToken.None);
        var bob = await keys.AddAsync("bob-keys", TestKeys.Rsa(comment: "bob"), CancellationToken.None);

        Assert.Equal([alice.Id], (await keys.ListAsync("alice-keys", CancellationToken.None)).Select(k => k.Id));
        Assert.Equal([bob.Id], (await keys.ListAsync("bob-keys", CancellationToken.None)).Select(k => k.Id));
        // Removing another user's key by its id finds nothing on one's own profile.
        await Assert.ThrowsAsync<KeyNotOnProfileException>(() => keys.RemoveAsync("alice-keys", bob.Id, CancellationToken.None));
    }
}
