using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KrautPortal.Benchmarks.Support;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Auth.Htpasswd;
using KrautPortal.Features.Auth.Ldap;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KrautPortal.Benchmarks.Auth;

/// <summary>
/// auth: the time each authenticator adds to an API request. The built portal runs as a child process with a god
/// token, scoped tokens, an htpasswd file and the test LDAP directory configured; the same request goes out with
/// each kind of credential, round-robin over one keep-alive connection, against the god token in the same run.
/// </summary>
public static class AuthBenchmark
{
    /// <summary>
    /// Answers every caller the same, from memory, with no database query and no authorizer check (a scoped
    /// token may call it too): between two credentials only authentication differs.
    /// </summary>
    public const string Endpoint = "api/v1/hosts";

    private const string LdapUrl = "ldap://127.0.0.1:3890/";
    private const string LdapsUrl = "ldaps://127.0.0.1:6360/";
    private const string UserDnTemplate = "uid={0},ou=people,dc=kraut,dc=test";
    private const string GroupBaseDn = "ou=groups,dc=kraut,dc=test";
    private const string LdapUser = "alice";
    private const string LdapPassword = "alice-pw-1";
    private const int WarmUp = 30;
    private const int Parallel = 8;
    private const int Slices = 4;
    private const int WhatIfMinThreads = 32;
    private static readonly TimeSpan SliceTime = TimeSpan.FromMilliseconds(750);
    private static readonly TimeSpan ConcurrentWarmUp = TimeSpan.FromMilliseconds(300);

    private sealed record HtpasswdUser(string Name, string Password, string Hash);

    /// <summary>What the concurrent run saw for one credential, over all its slices.</summary>
    private sealed class Load
    {
        public List<double> Latency { get; } = [];
        public List<double> Bystander { get; } = [];
        public double Seconds { get; set; }
        public double Rate => Latency.Count / Seconds;
    }

    /// <summary>One portal under load from one credential, with a god-token caller of that portal as the bystander.</summary>
    private sealed record Target(HttpClient Client, Credential Credential, Credential Bystander)
    {
        public Load Load { get; } = new();
    }

    private sealed record Measured(Credential Credential, Stats Sequential, Load Load);

    private sealed record InProcess(string Label, Stats Stats);

    public static async Task<string> RunAsync(int requests)
    {
        var loadAtStart = MachineInfo.LoadAverage();
        Console.WriteLine("[auth] starting the test LDAP directory (scripts/start-test-ldap.sh)");
        await Tool.RunAsync(RepoPaths.Script("start-test-ldap.sh"));

        var scratch = Directory.CreateTempSubdirectory("kraut-bench-auth-");
        try
        {
            var htpasswdFile = Path.Combine(scratch.FullName, "htpasswd");
            var bcrypt = await AddUserAsync(htpasswdFile, "bench-bcrypt", "-B");
            var apr1 = await AddUserAsync(htpasswdFile, "bench-apr1", "-m");
            var bcrypt10 = await AddUserAsync(htpasswdFile, "bench-bcrypt10", "-B", "-C", "10");
            // $2y$05$…: the cost htpasswd chose by default.
            var bcryptCost = int.Parse(bcrypt.Hash.Split('$')[2], CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);

            var settings = new Dictionary<string, string?>
            {
                // The default chain with LDAP after htpasswd, as docs/auth-passwords.md advises.
                ["Auth:Chain:0"] = "god-token",
                ["Auth:Chain:1"] = "token",
                ["Auth:Chain:2"] = "htpasswd",
                ["Auth:Chain:3"] = "ldap",
                ["Auth:Htpasswd:File"] = htpasswdFile,
                ["Auth:Ldap:Url"] = LdapUrl,
                ["Auth:Ldap:UserDnTemplate"] = UserDnTemplate,
                ["Auth:Ldap:GroupBaseDn"] = GroupBaseDn,
            };
            var portal = BenchPortal.Create(TestHosts.TestDriver, SeedImages.Blank, settings);
            await using var _ = portal;
            Console.WriteLine($"[auth] starting the portal on {portal.BaseAddress} ({TestHosts.TestDriver}) with data in {portal.DataDirectory}");
            await portal.StartAsync(TimeSpan.FromMinutes(1));
            var tokenHeader = "Bearer " + await CreateTokenAsync(portal);
            // What-if (not Kraut's configuration): a second portal, idle until the concurrent run, whose thread pool
            // starts with more worker threads than one per core.
            var morePoolThreads = BenchPortal.Create(TestHosts.TestDriver, SeedImages.Blank, settings,
                new Dictionary<string, string> { ["DOTNET_ThreadPool_ForceMinWorkerThreads"] = "0x" + WhatIfMinThreads.ToString("x", CultureInfo.InvariantCulture) });
            await using var __ = morePoolThreads;
            Console.WriteLine($"[auth] what-if: a second portal on {morePoolThreads.BaseAddress} with at least {WhatIfMinThreads} pool threads");
            await morePoolThreads.StartAsync(TimeSpan.FromMinutes(1));

            var god = new Credential("god token (baseline)", portal.GodHeader, requests, portal.GodActor, "god-token");
            Credential[] credentials =
            [
                new("no credentials (401, reference)", null, requests, null, "chain"),
                god,
                new("token: scoped `kraut_<id>_<secret>`", tokenHeader, requests, portal.GodActor, "token"),
                new($"htpasswd: bcrypt (`-B`, cost {bcryptCost})", Basic(bcrypt), requests, bcrypt.Name, "htpasswd"),
                new("htpasswd: APR1-MD5 (`-m`)", Basic(apr1), requests, apr1.Name, "htpasswd"),
                new("htpasswd: bcrypt cost 10 (`-B -C 10`)", Basic(bcrypt10), Math.Max(20, requests / 5), bcrypt10.Name, "htpasswd"),
                new("ldap: bind + group search", Basic(LdapUser, LdapPassword), requests, LdapUser, "ldap"),
            ];

            // One connection, kept alive: SocketsHttpHandler pools it, and sequential requests never need a second.
            using var client = new HttpClient { BaseAddress = portal.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            var reference = (await god.SendAsync(client, Endpoint)).Body;
            foreach (var c in credentials.Where(c => c.Authorization is not null))
            {
                if (!(await c.SendAsync(client, Endpoint)).Body.AsSpan().SequenceEqual(reference))
                    throw new InvalidOperationException($"{c.Label}: GET /{Endpoint} answered differently from the god token; the comparison would not be fair");
            }

            Console.WriteLine($"[auth] warm-up: {WarmUp} requests per credential (not counted)");
            await SequentialAsync(client, credentials, c => Math.Min(WarmUp, c.Requests));
            Console.WriteLine($"[auth] sequential: {string.Join(", ", credentials.Select(c => $"{c.Requests}"))} requests, round-robin");
            var clock = Stopwatch.StartNew();
            var sequential = await SequentialAsync(client, credentials, c => c.Requests);
            Console.WriteLine($"[auth] sequential run took {clock.Elapsed.TotalSeconds:0.0} s");

            // Its own credential objects, so the main portal's audit check counts only the main portal's requests.
            using var whatIfClient = new HttpClient { BaseAddress = morePoolThreads.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            var whatIfGod = new Credential(god.Label, morePoolThreads.GodHeader, WarmUp, god.AuditWho, god.AuditVia);
            var whatIfPasswords = credentials.Where(c => c.AuditVia is "htpasswd" or "ldap")
                .Select(c => new Credential(c.Label, c.Authorization, WarmUp, c.AuditWho, c.AuditVia)).ToArray();
            await SequentialAsync(whatIfClient, [whatIfGod, .. whatIfPasswords], c => Math.Min(WarmUp, c.Requests));

            List<Target> main = [.. credentials.Select(c => new Target(client, c, god))];
            List<Target> whatIf = [.. whatIfPasswords.Select(c => new Target(whatIfClient, c, whatIfGod))];
            Console.WriteLine($"[auth] concurrent: {Parallel} callers per credential and portal, {Slices} slices of {SliceTime.TotalSeconds:0.00} s each, interleaved");
            await ConcurrentAsync([.. main, .. whatIf]);
            var measured = new List<Measured>();
            foreach (var t in main)
            {
                var stats = Stats.Of(sequential[t.Credential]);
                measured.Add(new Measured(t.Credential, stats, t.Load));
                Console.WriteLine($"[auth] {t.Credential.Label}: p50 {Stats.Ms(stats.P50)} ms, p95 {Stats.Ms(stats.P95)} ms; {Parallel} parallel: {t.Load.Rate:0} requests/s, " +
                    $"a god-token request meanwhile p95 {Stats.Ms(Stats.Of(t.Load.Bystander).P95)} ms");
            }
            var audit = await CheckAuditAsync(portal, credentials);

            Console.WriteLine("[auth] the verifiers alone, in this process");
            var inProcess = await InProcessAsync(htpasswdFile, portal.GodToken, requests, bcrypt, apr1, bcrypt10, bcryptCost);

            foreach (var p in new[] { portal, morePoolThreads })
            {
                var leftovers = p.StopAndRemoveLeftovers();
                if (leftovers.Count > 0) throw new InvalidOperationException("left over: " + string.Join(", ", leftovers));
            }
            var report = Report(measured, inProcess, god, audit, bcryptCost, whatIf.ToDictionary(t => t.Credential.Label, t => t.Load));
            Console.WriteLine();
            Console.WriteLine(report);
            var versions = new List<(string, string)>
            {
                ("slapd (test directory)", await PackageVersionAsync("slapd") + $", {LdapUrl} on this machine"),
                ("libldap (client)", await PackageVersionAsync("libldap-2.5-0")),
                ("htpasswd", "apache2-utils " + await PackageVersionAsync("apache2-utils")),
                ("libxcrypt (bcrypt)", "libcrypt1 " + await PackageVersionAsync("libcrypt1")),
            };
            return "## auth\n\n" + await MachineInfo.DescribeAsync(loadAtStart, more: versions) + "\n" + report;
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Every credential in turn, one request at a time. A credential with fewer requests is spread evenly over
    /// the rounds, and each round starts one credential further, so none always follows the same one.
    /// </summary>
    private static async Task<Dictionary<Credential, List<double>>> SequentialAsync(HttpClient client, Credential[] credentials, Func<Credential, int> count)
    {
        var samples = credentials.ToDictionary(c => c, _ => new List<double>());
        var rounds = credentials.Max(count);
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < credentials.Length; i++)
            {
                var c = credentials[(round + i) % credentials.Length];
                var n = count(c);
                if ((round + 1) * n / rounds > round * n / rounds) samples[c].Add((await c.SendAsync(client, Endpoint)).Ms);
            }
        }
        return samples;
    }

    /// <summary>
    /// <see cref="Parallel"/> callers on one target at a time, in slices that rotate through the targets (so a busy
    /// spell on the shared machine does not land on one credential only). Meanwhile one more caller sends god-token
    /// requests to the same portal one after another: what that load does to everybody else's requests.
    /// </summary>
    private static async Task ConcurrentAsync(List<Target> targets)
    {
        // Not counted: opens the clients' extra connections and lets the portals' thread pools grow to the load.
        foreach (var t in targets) await SliceAsync(t, ConcurrentWarmUp, new Load());
        for (var slice = 0; slice < Slices; slice++)
        {
            for (var i = 0; i < targets.Count; i++)
            {
                var t = targets[(slice + i) % targets.Count];
                await SliceAsync(t, SliceTime, t.Load);
            }
        }

        static async Task SliceAsync(Target target, TimeSpan time, Load into)
        {
            var t0 = Stopwatch.GetTimestamp();
            var until = t0 + (long)(time.TotalSeconds * Stopwatch.Frequency);
            async Task<List<double>> CallerAsync(Credential with)
            {
                var mine = new List<double>();
                while (Stopwatch.GetTimestamp() < until) mine.Add((await with.SendAsync(target.Client, Endpoint)).Ms);
                return mine;
            }
            var workers = Enumerable.Range(0, Parallel).Select(_ => CallerAsync(target.Credential)).ToList();
            var bystander = CallerAsync(target.Bystander);
            var done = await Task.WhenAll(workers);
            into.Bystander.AddRange(await bystander);
            // Until the last request of the slice has its answer: requests started are requests counted.
            into.Seconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
            foreach (var samples in done) into.Latency.AddRange(samples);
        }
    }

    /// <summary>
    /// The portal's audit log must hold exactly one decision per request sent, by the intended authenticator
    /// (the god token also made the token and answered the start-up probe, so it may have more).
    /// </summary>
    private static async Task<string> CheckAuditAsync(PortalProcess portal, Credential[] credentials)
    {
        var db = Path.Combine(portal.DataDirectory, "kraut.db");
        Dictionary<(string?, string, string), long> counts = [];
        long Count(Credential c) => counts.GetValueOrDefault((c.AuditWho, c.AuditVia, c.AuditDecision));
        // The audit writer stores in batches in the background: give it a moment to catch up.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            counts = await AuditCountsAsync(db);
            if (credentials.All(c => Count(c) >= c.Sent)) break;
            await Task.Delay(100);
        }
        var wrong = credentials.Where(c => c.AuditVia == "god-token" ? Count(c) < c.Sent : Count(c) != c.Sent)
            .Select(c => $"{c.Label}: sent {c.Sent}, audit log has {Count(c)} by {c.AuditVia}").ToList();
        if (wrong.Count > 0) throw new InvalidOperationException("the audit log does not match the requests sent: " + string.Join("; ", wrong));
        var failed = counts.Where(kv => kv.Key.Item3 == "deny" && kv.Key.Item2 != "chain").Sum(kv => kv.Value);
        if (failed > 0) throw new InvalidOperationException($"{failed} refused logins in the audit log; the benchmark sends only correct credentials");
        return string.Join(", ", credentials.Select(c => $"{c.AuditVia} {c.AuditDecision} as {c.AuditWho ?? "nobody"}: {Count(c):N0}").Distinct());
    }

    private static async Task<Dictionary<(string?, string, string), long>> AuditCountsAsync(string db)
    {
        await using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT Who, Via, Decision, COUNT(*) FROM auth_events GROUP BY Who, Via, Decision";
        var counts = new Dictionary<(string?, string, string), long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            counts[(reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetString(1), reader.GetString(2))] = reader.GetInt64(3);
        return counts;
    }

    /// <summary>Where an authenticator's time goes: its password check (or hash compare) alone, called directly.</summary>
    private static async Task<List<InProcess>> InProcessAsync(string htpasswdFile, string godToken, int requests,
        HtpasswdUser bcrypt, HtpasswdUser apr1, HtpasswdUser bcrypt10, string bcryptCost)
    {
        var ldapDirectory = Environment.GetEnvironmentVariable("KRAUT_TEST_LDAP_DIR") ?? "/var/lib/kraut-test-ldap";
        var godOptions = Options.Create(new AuthOptions { GodTokens = [new GodTokenOptions { Name = "bench", Sha256 = Sha256Hex(godToken) }] });
        var htpasswd = new HtpasswdVerifier(Options.Create(new AuthOptions { Htpasswd = new HtpasswdOptions { File = htpasswdFile } }),
            TimeProvider.System, NullLogger<HtpasswdVerifier>.Instance);
        LdapVerifier Ldap(string url, string? groups, string? ca) => new(
            Options.Create(new AuthOptions { Ldap = new LdapOptions { Url = url, UserDnTemplate = UserDnTemplate, GroupBaseDn = groups, CaCertificatesDirectory = ca } }),
            NullLogger<LdapVerifier>.Instance);
        var godRequest = new AuthRequest("Bearer " + godToken, "GET", "/" + Endpoint, "hosts", null, null, null, "127.0.0.1");
        var god = new GodTokenAuthenticator(godOptions);
        var bindOnly = Ldap(LdapUrl, null, null);
        var withGroups = Ldap(LdapUrl, GroupBaseDn, null);
        var overTls = Ldap(LdapsUrl, GroupBaseDn, Path.Combine(ldapDirectory, "tls", "ca"));

        return
        [
            new("god token: SHA-256 of the token, compared with the configured hash", await TimeAsync(requests, async () => await god.AuthenticateAsync(godRequest, default) is AuthResult.Allow)),
            new($"htpasswd: bcrypt cost {bcryptCost}", await TimeAsync(requests, () => IsValidAsync(htpasswd, bcrypt.Name, bcrypt.Password))),
            new("htpasswd: APR1-MD5 (1,000 rounds of MD5)", await TimeAsync(requests, () => IsValidAsync(htpasswd, apr1.Name, apr1.Password))),
            new("htpasswd: bcrypt cost 10", await TimeAsync(Math.Max(20, requests / 5), () => IsValidAsync(htpasswd, bcrypt10.Name, bcrypt10.Password))),
            new("ldap: connect + bind, no group search", await TimeAsync(requests, () => IsValidAsync(bindOnly, LdapUser, LdapPassword))),
            new("ldap: connect + bind + group search (as in the portal above)", await TimeAsync(requests, () => IsValidAsync(withGroups, LdapUser, LdapPassword))),
            new("ldap over ldaps:// (TLS handshake + bind + group search)", await TimeAsync(requests, () => IsValidAsync(overTls, LdapUser, LdapPassword))),
        ];

        static async Task<bool> IsValidAsync(IPasswordVerifier verifier, string user, string password) =>
            await verifier.VerifyAsync(user, password, default) is PasswordCheck.Valid;
    }

    private static async Task<Stats> TimeAsync(int runs, Func<Task<bool>> once)
    {
        var samples = new List<double>(runs);
        for (var i = -Math.Min(WarmUp, runs); i < runs; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            var ok = await once();
            var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            if (!ok) throw new InvalidOperationException("a verifier refused a correct password");
            if (i >= 0) samples.Add(ms);
        }
        return Stats.Of(samples);
    }

    private static string Report(List<Measured> measured, List<InProcess> inProcess, Credential god, string audit, string bcryptCost,
        Dictionary<string, Load> morePoolThreads)
    {
        var baseline = measured.Single(m => m.Credential == god);
        var table = new MarkdownTable("credential", "requests", "p50", "p95", "max", "added p50", "added p95", "p50 / baseline p50");
        var concurrent = new MarkdownTable("credential", "requests", "requests/s", "p50", "p95", "requests/s / baseline",
            "god token meanwhile: p50", "p95", "max");
        foreach (var m in measured)
        {
            var isBaseline = m == baseline;
            var isReference = m.Credential.Authorization is null;
            var label = isBaseline ? $"**{m.Credential.Label}**" : m.Credential.Label;
            table.Add(
                label,
                m.Sequential.Count.ToString(CultureInfo.InvariantCulture),
                Stats.Ms(m.Sequential.P50), Stats.Ms(m.Sequential.P95), Stats.Ms(m.Sequential.Max),
                isBaseline || isReference ? "–" : Signed(m.Sequential.P50 - baseline.Sequential.P50),
                isBaseline || isReference ? "–" : Signed(m.Sequential.P95 - baseline.Sequential.P95),
                isBaseline ? "–" : Stats.Ratio(m.Sequential.P50, baseline.Sequential.P50));
            var latency = Stats.Of(m.Load.Latency);
            var bystander = Stats.Of(m.Load.Bystander);
            concurrent.Add(
                label,
                m.Load.Latency.Count.ToString(CultureInfo.InvariantCulture),
                m.Load.Rate.ToString("0", CultureInfo.InvariantCulture),
                Stats.Ms(latency.P50), Stats.Ms(latency.P95),
                isBaseline ? "–" : Stats.Ratio(m.Load.Rate, baseline.Load.Rate),
                Stats.Ms(bystander.P50), Stats.Ms(bystander.P95), Stats.Ms(bystander.Max));
        }

        var parts = new MarkdownTable("check alone, called in this process", "runs", "p50", "p95", "max");
        foreach (var p in inProcess) parts.Add(p.Label, p.Stats.Count.ToString(CultureInfo.InvariantCulture), Stats.Ms(p.Stats.P50), Stats.Ms(p.Stats.P95), Stats.Ms(p.Stats.Max));

        double Added(string prefix) => measured.Single(m => m.Credential.Label.StartsWith(prefix, StringComparison.Ordinal)).Sequential.P50 - baseline.Sequential.P50;
        double Alone(string prefix) => inProcess.Single(p => p.Label.StartsWith(prefix, StringComparison.Ordinal)).Stats.P50;
        var apr1Rest = Added("htpasswd: APR1") - Alone("htpasswd: APR1");
        var bcryptRest = Added("htpasswd: bcrypt (") - Alone($"htpasswd: bcrypt cost {bcryptCost}");
        var ldapRest = Added("ldap:") - Alone("ldap: connect + bind + group");
        var bcrypt10InPortal = measured.Single(m => m.Credential.Label.StartsWith("htpasswd: bcrypt cost 10", StringComparison.Ordinal)).Sequential.P50;

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"`GET /{Endpoint}` on the built portal (child process, Production settings, `--Kraut:Hosts:0={TestHosts.TestDriver}`, blank seed image), " +
            $"one `HttpClient` over one keep-alive HTTP/1.1 connection on 127.0.0.1, the client on the same 2 cores. " +
            $"Sequential: one request at a time, all credentials round-robin (each round starting one further), after {WarmUp} warm-up requests each; " +
            $"times from sending the request until the whole body has arrived, in ms.");
        text.AppendLine();
        text.Append(table);
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Under load: {Parallel} callers at once with one credential, on the same client, " +
            $"{Slices} slices of {SliceTime.TotalSeconds:0.00} s per credential, all credentials' slices interleaved, the what-if's below included " +
            $"(after {ConcurrentWarmUp.TotalMilliseconds:0} ms each not counted). " +
            $"Meanwhile one more caller sends god-token requests one after another: how that load treats everybody else's requests.");
        text.AppendLine();
        text.Append(concurrent);
        text.AppendLine();
        text.AppendLine("**Baseline: the same request with the god token.** `GET /api/v1/hosts` needs authentication but answers every caller " +
            "the same bytes from memory (no database, no authorizer check, checked at run time to be byte-identical for every credential), so " +
            "two requests differ only in how they were authenticated. The god token is the cheapest way in: the chain's first authenticator " +
            "hashes the bearer token with SHA-256 and compares it with the configured hash (about a microsecond, below). \"Added\" is each " +
            "credential's percentile minus the god token's. The chain is `god-token, token, htpasswd, ldap` (the default plus LDAP after " +
            "htpasswd, as docs/auth-passwords.md advises), so each figure includes what the authenticators before it cost: a scoped token is " +
            "first hashed by `god-token`, an LDAP user is first looked up (not found) in the htpasswd file.");
        text.AppendLine();
        text.AppendLine("**No credentials** is reported for reference, not subtracted: the same URL without an Authorization header runs the same " +
            "pipeline up to authentication, is refused by the chain at once (audited) and answers a 401 problem+json instead of running the endpoint, " +
            "so it is the floor of an API request here rather than the same work. There is no anonymous endpoint of comparable cost to use " +
            "instead: `/openapi/v1.json` and `/login` build much larger answers, and adding one to the product for a benchmark was not wanted. " +
            "It costs more than the god token's 200 at p50, though it skips the endpoint, because each refusal writes two Information lines to the " +
            "portal's console log (`KrautHeader was not authenticated. Failure message: …` and `… was challenged`, logged by ASP.NET Core's " +
            "AuthenticationHandler under the handler's own category, which appsettings.json leaves at Information); here they go through a pipe " +
            "to the benchmark process, which reads them as journald would. Checked by hand (2026-11-25): with " +
            "`Logging:LogLevel:KrautPortal.Features.Auth.HeaderAuthenticationHandler=Warning` the 401 costs slightly less than the god token's 200.");
        text.AppendLine();
        text.AppendLine("Where the added time goes: each check alone, called directly in the benchmark process (same verifier classes and " +
            "configuration as the portal; not over HTTP):");
        text.AppendLine();
        text.Append(parts);
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- **Password rows over HTTP mostly measure remembered checks.** Kraut remembers a right password " +
            $"for 30 s (`PasswordChecks`, keyed by an HMAC of the password) and runs at most one check per core at once, with waiting requests " +
            $"holding no thread. So in the tables above a password request costs roughly a token request plus the database query for a one-time " +
            $"code; the first request of a user (and one every 30 s) pays the full check, which the table below measures alone. The rest over the " +
            $"check alone (added p50 minus the check's p50): APR1 {Signed(apr1Rest)} ms, bcrypt cost {bcryptCost} {Signed(bcryptRest)} ms, " +
            $"LDAP {Signed(ldapRest)} ms.");
        text.AppendLine("- A scoped token reads its secret's hash and its token record (two EF Core queries in a new DI scope) on every request, " +
            "and writes `status.lastUsedAt` at most once a minute per token; that write can show in the token's max.");
        text.AppendLine("- The portal's LDAP verifier opens a new connection per check: connect and bind every time, no pool. Over ldaps:// or " +
            "StartTLS (which the README advises for any directory not on the same machine) each check also pays a TLS handshake.");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Apache's `htpasswd -B` default cost is {bcryptCost}; Kraut's own first-run `admin` " +
            $"(InitialAdmin) is hashed with cost 10: about {Stats.Ms(Alone("htpasswd: bcrypt cost 10"))} ms of CPU per full check on this machine, " +
            $"paid once per 30 s per caller.");
        text.AppendLine("- Before the gate and the memory (first version of this benchmark, same machine): with 8 callers using bcrypt cost 10, " +
            "16 requests/s, and a god-token request meanwhile waited p50 267 ms for a pool thread, because checks hashed synchronously on request " +
            "threads. The \"meanwhile\" columns above show what is left.");
        text.AppendLine("- Only correct credentials are sent: failed logins are throttled per user (5 failures in 5 minutes, and 20 per client " +
            "address), so a benchmark that sent wrong passwords would soon be measuring the throttle. Any answer other than the expected one " +
            "stops the run.");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Checked against the portal's audit log after the run, one decision per request sent: {audit}.");
        text.AppendLine();

        var whatIf = new MarkdownTable($"{Parallel} callers with", "requests/s", "god token meanwhile: p50", "p95", "max",
            $"≥ {WhatIfMinThreads} threads: requests/s", "god token meanwhile: p50", "p95", "max");
        foreach (var m in measured.Where(m => morePoolThreads.ContainsKey(m.Credential.Label)))
        {
            var more = morePoolThreads[m.Credential.Label];
            var (before, after) = (Stats.Of(m.Load.Bystander), Stats.Of(more.Bystander));
            whatIf.Add(m.Credential.Label,
                m.Load.Rate.ToString("0", CultureInfo.InvariantCulture), Stats.Ms(before.P50), Stats.Ms(before.P95), Stats.Ms(before.Max),
                more.Rate.ToString("0", CultureInfo.InvariantCulture), Stats.Ms(after.P50), Stats.Ms(after.P95), Stats.Ms(after.Max));
        }
        text.AppendLine("### What-if: more thread-pool threads (not Kraut's configuration)");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"The password credentials' load again (same callers, same god-token bystander), on a second portal " +
            $"with the same settings started with `DOTNET_ThreadPool_ForceMinWorkerThreads=0x{WhatIfMinThreads:x}` (at least {WhatIfMinThreads} worker threads " +
            $"from the start instead of one per core). Its slices were interleaved with the main run's (each portal idle while the other was loaded). " +
            $"The CPU is as busy either way; where the god token's wait shrinks, it was waiting for a pool thread, not for the CPU.");
        text.AppendLine();
        text.Append(whatIf);
        return text.ToString();
    }

    private static string Signed(double ms) => (ms < 0 ? "-" : "+") + Stats.Ms(Math.Abs(ms));

    private static async Task<HtpasswdUser> AddUserAsync(string file, string name, params string[] flags)
    {
        var password = RandomNumberGenerator.GetHexString(16, lowercase: true);
        string[] create = File.Exists(file) ? [] : ["-c"];
        await Tool.RunAsync("htpasswd", [.. create, "-b", .. flags, file, name, password]);
        var hash = File.ReadLines(file).Select(l => l.Split(':', 2)).Single(p => p[0] == name)[1];
        return new HtpasswdUser(name, password, hash);
    }

    private static async Task<string> CreateTokenAsync(PortalProcess portal)
    {
        using var client = portal.CreateClient();
        var body = new { name = "bench-auth", spec = new { verbs = new[] { "read" }, kinds = new[] { "vms" }, expiresAt = DateTime.UtcNow.AddDays(1) } };
        using var created = await client.PostAsJsonAsync("api/v1/tokens", body);
        var answer = await created.Content.ReadAsStringAsync();
        if (!created.IsSuccessStatusCode) throw new InvalidOperationException($"POST /api/v1/tokens: {(int)created.StatusCode} {answer}");
        return JsonDocument.Parse(answer).RootElement.GetProperty("secret").GetString()!;
    }

    private static string Basic(HtpasswdUser user) => Basic(user.Name, user.Password);

    private static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    private static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static async Task<string> PackageVersionAsync(string package)
    {
        var output = await Tool.TryAsync("dpkg-query", ["-W", "-f=${Version}", package]);
        return output.ExitCode == 0 ? output.StdOut.Trim() : "not installed";
    }
}
