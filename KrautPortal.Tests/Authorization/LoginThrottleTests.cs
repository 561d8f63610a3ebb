using System.Diagnostics;
using System.Net;
using KrautPortal.Features.Auth;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Auth;
using KrautPortal.Tests.Support;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Authorization;

/// <summary>
/// Guessing passwords is slowed, but nobody can lock a person out: a (user, address) pair waits longer after each
/// failure, another address is not affected, the right password works once the wait is over, and a busy address only
/// answers slowly. A portal of its own with a clock the tests move, so waiting costs no time.
/// </summary>
public sealed class LoginThrottleTests(LoginThrottleTests.Portal portal) : IClassFixture<LoginThrottleTests.Portal>
{
    private const int FreeFailures = 3;
    private const int PerAddress = 20;
    private const int SlowDownMs = 300;
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(900);

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
                ["Auth:Throttle:FreeFailures"] = FreeFailures.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Auth:Throttle:FailuresPerAddress"] = PerAddress.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Auth:Throttle:FailuresPerUser"] = "1000",
                ["Auth:Throttle:SlowDownMilliseconds"] = SlowDownMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Auth:Throttle:MaxDelaySeconds"] = MaxDelay.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }, configure: builder => builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock)));
        }

        public static readonly string[] Users = ["alice", "bob", "carol", "dave", "erin", "frank", "gina", "hank", "ivy", "jon", "kim", "lea"];

        public static string PasswordOf(string user) => $"{user}-right-Pw-41";

        public KrautAppFactory App { get; }

        internal ManualClock Clock { get; } = new();

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

    /// <summary>Moves the portal's clock past the longest wait (and back at the end of each test: the portal is shared).</summary>
    private void PassTheLongestWait() => portal.Clock.Offset += MaxDelay + TimeSpan.FromSeconds(1);

    [Theory]
    [InlineData("alice", "198.51.100.1", "198.51.100.2", 5)]
    [InlineData("bob", "198.51.100.3", "198.51.100.4", 50)]
    public async Task AfterManyWrongPasswords_TheRightOneWorks_AtOnceFromElsewhere_AndFromTheGuessersAddressAfterTheWait(
        string victim, string guesser, string elsewhere, int guesses)
    {
        var start = portal.Clock.Offset;
        try
        {
            var checkedGuesses = 0;
            for (var i = 0; i < guesses; i++)
            {
                var response = await GetAsync(guesser, victim, "guess-" + i);
                var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
                if ((string?)problem["detail"] == AuthenticatorChain.WrongCredentials) checkedGuesses++;
                else
                {
                    Assert.StartsWith("Too many failed sign-ins", (string?)problem["detail"], StringComparison.Ordinal);
                    // A patient guesser waits it out, so every guess is really tried: the waits keep growing.
                    PassTheLongestWait();
                }
            }
            Assert.True(checkedGuesses >= Math.Min(guesses, FreeFailures), $"only {checkedGuesses} guesses were checked");

            Assert.Equal(HttpStatusCode.OK, (await GetAsync(elsewhere, victim, Portal.PasswordOf(victim))).StatusCode);
            // From the guesser's address the pair waits (unchecked, so even the right password waits) ...
            var lastGuess = await GetAsync(guesser, victim, "one-more");
            await ApiClient.AssertProblemAsync(lastGuess, HttpStatusCode.Unauthorized);
            if (checkedGuesses >= FreeFailures)
                await ApiClient.AssertProblemAsync(await GetAsync(guesser, victim, Portal.PasswordOf(victim)), HttpStatusCode.Unauthorized, "Too many failed sign-ins");
            // ... and once the wait is over, the right password works there too.
            PassTheLongestWait();
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(guesser, victim, Portal.PasswordOf(victim))).StatusCode);
        }
        finally
        {
            portal.Clock.Offset = start;
        }
    }

    [Fact]
    public async Task ManyFailuresFromAnAddress_DoNotLockOutAnotherUsersRightPassword_TheyOnlySlowItDown()
    {
        const string guesser = "203.0.113.66";
        // Spread over users, so no (user, address) pair reaches its own limit: a password spray.
        var guessed = Portal.Users.Where(u => u != "frank").SelectMany(u => new[] { u, u }).Take(PerAddress).ToList();
        Assert.Equal(PerAddress, guessed.Count);
        foreach (var user in guessed)
            await ApiClient.AssertProblemAsync(await GetAsync(guesser, user, "guess"), HttpStatusCode.Unauthorized, AuthenticatorChain.WrongCredentials);

        var clock = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(guesser, "frank", Portal.PasswordOf("frank"))).StatusCode);
        Assert.True(clock.ElapsedMilliseconds >= SlowDownMs * 0.9, $"the busy address was answered in {clock.ElapsedMilliseconds} ms");
        // Each further guess from there is slowed as well.
        clock.Restart();
        await ApiClient.AssertProblemAsync(await GetAsync(guesser, "gina", "guess"), HttpStatusCode.Unauthorized, AuthenticatorChain.WrongCredentials);
        Assert.True(clock.ElapsedMilliseconds >= SlowDownMs * 0.9, $"a guess from the busy address was answered in {clock.ElapsedMilliseconds} ms");
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("203.0.113.67", "carol", Portal.PasswordOf("carol"))).StatusCode);
    }

    [Fact]
    public async Task AnUnknownNameIsThrottledExactlyLikeARealOne()
    {
        const string address = "192.0.2.77";
        var start = portal.Clock.Offset;
        try
        {
            var real = new List<string>();
            var unknown = new List<string>();
            for (var i = 0; i <= FreeFailures; i++)
            {
                real.Add(await (await GetAsync(address, "kim", "guess")).Content.ReadAsStringAsync());
                unknown.Add(await (await GetAsync(address, "nobody-here", "guess")).Content.ReadAsStringAsync());
            }
            Assert.Equal(real.Select(StripTraceId), unknown.Select(StripTraceId));
            Assert.Contains("Too many failed sign-ins", real[^1], StringComparison.Ordinal);
        }
        finally
        {
            portal.Clock.Offset = start;
        }
    }

    /// <summary>Problem bodies carry a trace id of their own request; everything else must match.</summary>
    internal static string StripTraceId(string body) =>
        System.Text.RegularExpressions.Regex.Replace(body, "\"traceId\":\"[^\"]*\"", "\"traceId\":\"-\"");
}
