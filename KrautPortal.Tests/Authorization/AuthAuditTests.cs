using System.Net;
using System.Net.Http.Json;
using System.Text;
using KrautPortal.Features.Auth;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Authorization;

/// <summary>Allows and refusals land in auth_events (written in batches in the background) saying who, what and why, and no secret is ever written down.</summary>
[Collection(AuthorizationCollection.Name)]
public sealed class AuthAuditTests(AuthorizationPortal portal)
{
    private static readonly TimeSpan AuditDelay = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AllowsAndDenials_AreAudited_WithWhoDecisionAndReason()
    {
        // Each request names an id of its own, so its audit row can be told from all others.
        var (anonymous, wrong, allowed, scoped, revoked) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        Assert.Equal(HttpStatusCode.Unauthorized, (await portal.Client(Caller.Anonymous).GetAsync($"/api/v1/vms/{anonymous}")).StatusCode);
        using (var guessing = portal.ClientWith(AuthorizationPortal.BasicHeader("bob", "not-bobs-password")))
            Assert.Equal(HttpStatusCode.Unauthorized, (await guessing.GetAsync($"/api/v1/vms/{wrong}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await portal.Client(Caller.Alice).GetAsync($"/api/v1/vms/{allowed}")).StatusCode);
        var readOnly = await portal.CreateTokenAsync(Caller.Alice, "audit", ["read"], ["vms"]);
        using (var client = portal.TokenClient(readOnly))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await client.DeleteAsync($"/api/v1/vms/{scoped}")).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await portal.Client(Caller.Alice).DeleteAsync($"/api/v1/tokens/{readOnly.Id}")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync($"/api/v1/vms/{revoked}")).StatusCode);
        }

        var events = await Eventually.WaitForAsync(async () =>
        {
            var rows = await portal.AuthEventsAsync();
            return new[] { anonymous, wrong, allowed, scoped, revoked }.All(id => rows.Any(r => r.ObjectId == id)) ? rows : null;
        }, AuditDelay, "the audit writer to store the five decisions");
        AuthEventRow Of(Guid id, string decision = "") => events.Single(e => e.ObjectId == id && (decision == "" || e.Decision == decision));

        Assert.Equal(("deny", "chain", "GET"), (Of(anonymous).Decision, Of(anonymous).Via, Of(anonymous).Method));
        Assert.StartsWith("No credentials", Of(anonymous).Reason, StringComparison.Ordinal);
        Assert.Equal($"/api/v1/vms/{anonymous}", Of(anonymous).Path);

        Assert.Equal(("bob", "deny", "htpasswd", "Wrong user name or password."), (Of(wrong).Who, Of(wrong).Decision, Of(wrong).Via, Of(wrong).Reason));

        Assert.Equal(("alice", "allow", "htpasswd", (string?)null), (Of(allowed).Who, Of(allowed).Decision, Of(allowed).Via, Of(allowed).Reason));
        Assert.Equal("vms", Of(allowed).Kind);

        // A token's limit: authenticated (allow), then refused what it asked (deny).
        Assert.Equal(("alice", "token"), (Of(scoped, "allow").Who, Of(scoped, "allow").Via));
        Assert.Equal(("alice", "token", "delete"), (Of(scoped, "deny").Who, Of(scoped, "deny").Via, Of(scoped, "deny").Method));
        Assert.StartsWith("This token may not delete VMs", Of(scoped, "deny").Reason, StringComparison.Ordinal);

        Assert.Equal(("deny", "token"), (Of(revoked).Decision, Of(revoked).Via));
        Assert.StartsWith("This token is not valid", Of(revoked).Reason, StringComparison.Ordinal);
        Assert.Equal($"token:{readOnly.Id}", Of(revoked).Who);
    }

    [Fact]
    public async Task NoPasswordOrTokenSecret_AppearsInAnyAuditRowOrLogLine()
    {
        // Make sure there is something to leak: a wrong password, a token used, the portal's log at debug level.
        var wrongPassword = "wrong-" + Guid.NewGuid().ToString("N");
        portal.Secrets.Add(wrongPassword);
        using (var guessing = portal.ClientWith(AuthorizationPortal.BasicHeader("alice", wrongPassword)))
            await guessing.GetAsync("/api/v1/vms");
        var token = await portal.CreateTokenAsync(Caller.Alice, "leak", ["read"], ["vms"]);
        using (var client = portal.TokenClient(token)) await client.GetAsync("/api/v1/vms");
        using (var refused = portal.ClientWith("Bearer " + token.Secret[..^4] + "0000")) await refused.GetAsync("/api/v1/vms");
        await Eventually.WaitUntilAsync(async () => (await portal.AuthEventsAsync()).Any(e => e.Path == "/api/v1/vms" && e.Who == "alice" && e.Via == "token"),
            AuditDelay, "the token's use to be audited");

        var secrets = portal.Secrets.Distinct().ToList();
        // Basic headers carry passwords in base64: a logged header would leak them too.
        secrets.AddRange(AuthorizationPortal.Passwords.Select(p => AuthorizationPortal.BasicHeader(p.Key, p.Value)["Basic ".Length..]));
        secrets.Add(AuthorizationPortal.BasicHeader("alice", wrongPassword)["Basic ".Length..]);
        secrets.Add(TestCredentials.GodToken);

        var rows = (await portal.AuthEventsAsync()).Select(e => string.Join(" | ", e.Who, e.Via, e.Decision, e.Reason, e.Method, e.Path, e.Kind, e.Action, e.RemoteAddress)).ToList();
        var lines = portal.Log.Lines;
        Assert.True(rows.Count > 10, $"only {rows.Count} audit rows");
        Assert.True(lines.Count > 100, $"only {lines.Count} log lines were captured");
        Assert.Contains(lines, l => l.Contains("Debug", StringComparison.Ordinal));
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(rows, r => r.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
        }
    }
}
