using System.Net;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Auth;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Authorization;

/// <summary>
/// Guessing passwords through the API stops after a few tries: per user (from anywhere) and per client address
/// (for any user). A portal of its own, so locked-out users do not disturb other tests.
/// </summary>
public sealed class LoginThrottleTests(LoginThrottleTests.Portal portal) : IClassFixture<LoginThrottleTests.Portal>
{
    private const int PerUser = 3;
    private const int PerAddress = 5;

    public sealed class Portal : IDisposable
    {
        private readonly TempDir _dir = new();

        public Portal()
        {
            var users = _dir.File("htpasswd");
            foreach (var user in Users) HtpasswdTool.Set(users, "-B", user, PasswordOf(user));
            App = new KrautAppFactory(seedImage: null, settings: new Dictionary<string, string?>
            {
                ["Auth:Htpasswd:File"] = users,
                ["Auth:Throttle:FailuresPerUser"] = PerUser.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Auth:Throttle:FailuresPerAddress"] = PerAddress.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Auth:Throttle:WindowSeconds"] = "300",
            });
        }

        public static readonly string[] Users = ["alice", "bob", "carol", "dave", "erin", "frank"];

        public static string PasswordOf(string user) => $"{user}-right-Pw-41";

        public KrautAppFactory App { get; }

        /// <summary>A client whose requests come from <paramref name="address"/>, sending these credentials.</summary>
        public HttpClient From(string address, string user, string password)
        {
            var client = new HttpClient(App.Server.CreateHandler(http => http.Connection.RemoteIpAddress = IPAddress.Parse(address)))
            {
                BaseAddress = App.Server.BaseAddress,
            };
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", AuthorizationPortal.BasicHeader(user, password));
            return client;
        }

        public void Dispose()
        {
            App.Dispose();
            _dir.Dispose();
        }
    }

    private async Task<HttpResponseMessage> GetAsync(string address, string user, string password)
    {
        using var client = portal.From(address, user, password);
        return await client.GetAsync("/api/v1/vms");
    }

    [Fact]
    public async Task AfterTooManyWrongPasswordsForAUser_EvenTheRightOneIsRefused_FromAnyAddress()
    {
        for (var i = 0; i < PerUser; i++)
            await ApiClient.AssertProblemAsync(await GetAsync($"198.51.100.{i + 1}", "alice", "guess-" + i), HttpStatusCode.Unauthorized, "Wrong user name or password.");

        await ApiClient.AssertProblemAsync(await GetAsync("198.51.100.200", "alice", Portal.PasswordOf("alice")), HttpStatusCode.Unauthorized,
            "Too many failed logins for 'alice'");
        // Others are not locked out by alice's guesser.
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("198.51.100.1", "bob", Portal.PasswordOf("bob"))).StatusCode);
    }

    [Fact]
    public async Task AfterTooManyWrongPasswordsFromAnAddress_EvenAnotherUsersRightPasswordIsRefusedFromIt()
    {
        const string guesser = "203.0.113.66";
        // Spread over users so that no single user reaches their own limit.
        string[] guessed = ["carol", "carol", "dave", "dave", "erin"];
        Assert.Equal(PerAddress, guessed.Length);
        foreach (var user in guessed)
            await ApiClient.AssertProblemAsync(await GetAsync(guesser, user, "guess"), HttpStatusCode.Unauthorized, "Wrong user name or password.");

        await ApiClient.AssertProblemAsync(await GetAsync(guesser, "frank", Portal.PasswordOf("frank")), HttpStatusCode.Unauthorized,
            $"Too many failed logins from {guesser}");
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("203.0.113.67", "frank", Portal.PasswordOf("frank"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("203.0.113.67", "carol", Portal.PasswordOf("carol"))).StatusCode);
    }
}
