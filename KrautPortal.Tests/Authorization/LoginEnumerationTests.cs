using System.Diagnostics;
using System.Net;
using KrautPortal.Features.Auth;
using KrautPortal.Tests.Auth;
using KrautPortal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Authorization;

/// <summary>
/// Whether a user name exists cannot be learnt from a refusal: an unknown name and a wrong password get the same
/// status, body and headers, over the API and the portal's login form, and take the same time. The users' hashes are
/// bcrypt of cost 10, slow enough that skipping the check for unknown names would show at once. A portal of its own,
/// with the throttle out of the way so every try is really checked.
/// </summary>
public sealed class LoginEnumerationTests(LoginEnumerationTests.Portal portal) : IClassFixture<LoginEnumerationTests.Portal>
{
    public const string Real = "valentina";

    public sealed class Portal : IDisposable
    {
        private readonly TempDir _dir = new();

        public Portal()
        {
            var users = _dir.File("htpasswd");
            foreach (var user in new[] { "ann", Real, "zoe" })
            {
                string[] args = File.Exists(users) ? ["-b", "-B", "-C", "10", users, user, user + "-Pw-9"] : ["-c", "-b", "-B", "-C", "10", users, user, user + "-Pw-9"];
                var (status, _, stderr) = Tool.Try("htpasswd", args);
                Assert.True(status == 0, stderr);
            }
            // Written by an editor, not htpasswd: a password in plain text, which Kraut refuses to use.
            File.AppendAllText(users, "plainpaul:plain-Pw-9\n");
            UsersFile = users;
            App = new KrautAppFactory(seedImage: null, settings: new Dictionary<string, string?>
            {
                ["Auth:Htpasswd:File"] = users,
                ["Auth:Throttle:FreeFailures"] = "100000",
                ["Auth:Throttle:FailuresPerAddress"] = "100000",
                ["Auth:Throttle:FailuresPerUser"] = "100000",
            });
        }

        public KrautAppFactory App { get; }
        public string UsersFile { get; }

        public void Dispose()
        {
            App.Dispose();
            _dir.Dispose();
        }
    }

    private async Task<(HttpStatusCode Status, string Body, string Headers)> ApiAsync(string user, string password)
    {
        using var client = portal.App.CreateAnonymousClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", AuthorizationPortal.BasicHeader(user, password));
        using var response = await client.GetAsync("/api/v1/vms");
        var headers = string.Join('\n', response.Headers.Concat(response.Content.Headers).Where(h => h.Key != "Date")
            .Select(h => $"{h.Key}: {string.Join(", ", h.Value)}").Order(StringComparer.Ordinal));
        return (response.StatusCode, LoginThrottleTests.StripTraceId(await response.Content.ReadAsStringAsync()), headers);
    }

    [Fact]
    public async Task OverTheApi_AnUnknownNameAndAWrongPassword_GetTheSameAnswer()
    {
        var wrong = await ApiAsync(Real, "not-her-password");
        var unknown = await ApiAsync("valentine", "not-her-password");

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.Equal(wrong, unknown);
        Assert.Contains("Wrong user name or password.", wrong.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OverThePortalLogin_AnUnknownNameAndAWrongPassword_GetTheSameAnswer()
    {
        async Task<(HttpStatusCode, string?, string)> LoginAsync(string user)
        {
            using var browser = PortalSignIn.Browser(portal.App);
            using var response = await PortalSignIn.PostLoginAsync(browser, user, "not-her-password");
            // The form is filled in again with the name typed: that part differs by what was typed, nothing else.
            var location = response.Headers.Location?.OriginalString.Replace(Uri.EscapeDataString(user), "{user}", StringComparison.Ordinal);
            var cookies = response.Headers.TryGetValues("Set-Cookie", out var set) ? string.Join('\n', set.Select(c => c.Split('=')[0])) : "";
            return (response.StatusCode, location, cookies);
        }

        var wrong = await LoginAsync(Real);
        var unknown = await LoginAsync("valentine");

        Assert.Equal(HttpStatusCode.Redirect, wrong.Item1);
        Assert.Equal(wrong, unknown);
    }

    [Fact]
    public async Task APlainTextEntry_GivesTheCallerTheUsualRefusal_AndOnlyTheAuditAndLogWhereItIs()
    {
        var plain = await ApiAsync("plainpaul", "plain-Pw-9");
        var wrong = await ApiAsync(Real, "not-her-password");

        Assert.Equal(wrong, plain);
        Assert.DoesNotContain(portal.UsersFile, plain.Body, StringComparison.Ordinal);
        var row = await Eventually.WaitForAsync(async () =>
        {
            await using var scope = portal.App.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<Features.Store.KrautDbContext>();
            return await db.AuthEvents.AsNoTracking().Where(e => e.Who == "plainpaul").FirstOrDefaultAsync();
        }, TimeSpan.FromSeconds(10), "the refusal to be audited");
        Assert.Contains($"line 4 of {portal.UsersFile}", row.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownNameTakesAsLongAsAWrongPassword()
    {
        const int samples = 40;
        var wrong = new List<double>();
        var unknown = new List<double>();
        // Interleaved, so a burst of load on the shared machine hits both alike.
        for (var i = 0; i < samples; i++)
        {
            wrong.Add(await TimeAsync(Real, "guess-" + i));
            unknown.Add(await TimeAsync("nobody-" + i, "guess-" + i));
        }

        var ratio = Median(unknown) / Median(wrong);
        Assert.True(ratio is > 0.5 and < 2, $"median unknown {Median(unknown):0.0} ms vs wrong password {Median(wrong):0.0} ms (ratio {ratio:0.00})");
        // The check is real work (bcrypt cost 10): a shortcut for unknown names would be far outside the range above.
        Assert.True(Median(wrong) > 5, $"a wrong password was refused in {Median(wrong):0.0} ms: is the hash checked at all?");
    }

    private async Task<double> TimeAsync(string user, string password)
    {
        using var client = portal.App.CreateAnonymousClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", AuthorizationPortal.BasicHeader(user, password));
        var clock = Stopwatch.StartNew();
        using var response = await client.GetAsync("/api/v1/vms");
        clock.Stop();
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        return clock.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return (sorted[(sorted.Count - 1) / 2] + sorted[sorted.Count / 2]) / 2;
    }
}
