using System.Net;
using System.Net.Http.Json;
using System.Text;
using KrautPortal.Features.Auth;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Authorization;

/// <summary>The limits the audit's aggregation works to, as the tests rely on them.</summary>
internal static class AuditAggregatorLimits
{
    public const int DistinctPerAddress = 20;
}

/// <summary>Allows and refusals land in auth_events (written in batches in the background) saying who, what and why, and no secret is ever written down.</summary>
[Collection(AuthorizationCollection.Name)]
public sealed class AuthAuditTests(AuthorizationPortal portal)
{
    private static readonly TimeSpan AuditDelay = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task EachRequest_IsAuditedOnce_WithWhoTheFinalDecisionAndReason()
    {
        // Each request names an id of its own, so its audit row can be told from all others.
        var (anonymous, wrong, missing, mine, scoped, revoked) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        // Refusals from addresses of their own: identical unauthenticated refusals from one address are counted on one row.
        using (var stranger = new HttpClient(portal.App.Server.CreateHandler(http => http.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.231"))) { BaseAddress = portal.App.Server.BaseAddress })
            Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync($"/api/v1/vms/{anonymous}")).StatusCode);
        using (var guessing = new HttpClient(portal.App.Server.CreateHandler(http => http.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.232"))) { BaseAddress = portal.App.Server.BaseAddress })
        {
            guessing.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", AuthorizationPortal.BasicHeader("bob", "not-bobs-password"));
            Assert.Equal(HttpStatusCode.Unauthorized, (await guessing.GetAsync($"/api/v1/vms/{wrong}")).StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await portal.Client(Caller.Alice).GetAsync($"/api/v1/vms/{missing}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await portal.Client(Caller.Alice).GetAsync($"/api/v1/vms?limit=1&x={mine}")).StatusCode);
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
            return new[] { anonymous, wrong, missing, scoped, revoked }.All(id => rows.Any(r => r.ObjectId == id))
                && rows.Any(r => r.Path == "/api/v1/vms" && r.Status == 200 && r.Who == "alice") ? rows : null;
        }, AuditDelay, "the audit writer to store the decisions");
        AuthEventRow Of(Guid id) => events.Single(e => e.ObjectId == id);

        Assert.Equal(("deny", "chain", "GET", 401), (Of(anonymous).Decision, Of(anonymous).Via, Of(anonymous).Method, Of(anonymous).Status));
        Assert.StartsWith("No credentials", Of(anonymous).Reason, StringComparison.Ordinal);
        Assert.Equal($"/api/v1/vms/{anonymous}", Of(anonymous).Path);

        Assert.Equal(("bob", "deny", "htpasswd", "Wrong user name or password."), (Of(wrong).Who, Of(wrong).Decision, Of(wrong).Via, Of(wrong).Reason));

        Assert.Equal(("alice", "allow", "htpasswd"), events.Last(e => e.Path == "/api/v1/vms" && e.Who == "alice" && e.Status == 200) is var ok
            ? (ok.Who, ok.Decision, ok.Via) : default);

        // Not found (or not visible): the request was not served, and the row says so.
        Assert.Equal(("alice", "deny", 404), (Of(missing).Who, Of(missing).Decision, Of(missing).Status));
        Assert.Equal("vms", Of(missing).Kind);

        // A token let in but refused the verb: one row, the refusal.
        Assert.Equal(("alice", "token", "deny", 403), (Of(scoped).Who, Of(scoped).Via, Of(scoped).Decision, Of(scoped).Status));
        Assert.StartsWith("This token may not delete VMs", Of(scoped).Reason, StringComparison.Ordinal);

        Assert.Equal(("deny", "token"), (Of(revoked).Decision, Of(revoked).Via));
        Assert.StartsWith("This token is not valid", Of(revoked).Reason, StringComparison.Ordinal);
        Assert.Equal($"token:{readOnly.Id}", Of(revoked).Who);
    }

    [Fact]
    public async Task AFloodOfAnonymousRefusals_GrowsTheAuditLogByABoundedAmount()
    {
        const string flooder = "198.51.100.250";
        const int requests = 500;
        var before = await portal.DbAsync(db => db.AuthEvents.Select(e => e.Seq).DefaultIfEmpty().MaxAsync());
        using var client = new HttpClient(portal.App.Server.CreateHandler(http => http.Connection.RemoteIpAddress = IPAddress.Parse(flooder)))
        {
            BaseAddress = portal.App.Server.BaseAddress,
        };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("flood/" + new string('u', 4000));
        var longPath = "/api/v1/vms/" + new string('p', 8000);
        for (var i = 0; i < requests; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{longPath}{i}");
            // Every 25th claims a huge user name of its own (no more: guesses from one address are slowed); the rest send nothing.
            if (i % 25 == 0) request.Headers.TryAddWithoutValidation("Authorization", AuthorizationPortal.BasicHeader($"{i}{new string('n', 20_000)}", "x"));
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(request)).StatusCode);
        }

        var rows = await Eventually.WaitForAsync(async () =>
        {
            var fresh = await portal.DbAsync(db => db.AuthEvents.AsNoTracking().Where(e => e.Seq > before && e.RemoteAddress == flooder).ToListAsync());
            return fresh.Sum(r => r.Count) >= requests ? fresh : null;
        }, AuditDelay, "the flood to be counted in the audit log");

        Assert.Equal(requests, rows.Sum(r => r.Count));
        Assert.True(rows.Count <= 2 * (AuditAggregatorLimits.DistinctPerAddress + 1), $"{rows.Count} rows for {requests} refusals");
        var bytes = rows.Sum(r => new[] { r.Who, r.Via, r.Decision, r.Reason, r.Method, r.Path, r.Kind, r.Action, r.RemoteAddress }.Sum(f => f?.Length ?? 0));
        Assert.True(bytes <= 50 * 1024, $"{rows.Count} rows hold {bytes} characters");
        Assert.All(rows, r => Assert.True(r.Path.Length <= 200 && (r.Who?.Length ?? 0) <= 100 && (r.Reason?.Length ?? 0) <= 400));
    }

    [Fact]
    public async Task TheRetentionSweep_DeletesRowsOlderThanTheRetention_AndKeepsNewerOnes()
    {
        var (old, recent) = ("retention-old-" + Guid.NewGuid().ToString("N")[..6], "retention-new-" + Guid.NewGuid().ToString("N")[..6]);
        await portal.DbAsync(async db =>
        {
            db.AuthEvents.Add(new AuthEventRow { At = DateTime.UtcNow.AddDays(-91), Via = "test", Decision = "deny", Method = "GET", Path = old });
            db.AuthEvents.Add(new AuthEventRow { At = DateTime.UtcNow.AddDays(-89), Via = "test", Decision = "deny", Method = "GET", Path = recent });
            return await db.SaveChangesAsync();
        });

        await portal.App.Services.GetRequiredService<AuthHousekeeping>().SweepAsync(CancellationToken.None);

        var left = await portal.DbAsync(db => db.AuthEvents.Where(e => e.Path == old || e.Path == recent).Select(e => e.Path).ToListAsync());
        Assert.Equal([recent], left);
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
        Assert.True(rows.Count >= 4, $"only {rows.Count} audit rows");
        Assert.True(lines.Count > 100, $"only {lines.Count} log lines were captured");
        Assert.Contains(lines, l => l.Contains("Debug", StringComparison.Ordinal));
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(rows, r => r.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
        }
    }
}
