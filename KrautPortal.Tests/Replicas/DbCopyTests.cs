using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Authorization;
using KrautPortal.Tests.Support;
using Xunit.Abstractions;

namespace KrautPortal.Tests.Replicas;

/// <summary>
/// <c>KrautPortal db copy --to postgres://…</c> as an operator runs it: a portal used on SQLite (objects with several
/// versions, a token, audit entries), stopped, copied, and started on PostgreSQL with the same data directory sees the
/// same objects, versions (ETags), history and token; a second copy into the now full database is refused.
/// </summary>
public sealed class DbCopyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private PostgresServer _database = default!;
    private PortalProcess _sqlite = default!;

    public async Task InitializeAsync()
    {
        _database = PostgresServer.CreateDatabase();
        _sqlite = new PortalProcess(TestHosts.TestDriver, SeedImages.Blank);
        await _sqlite.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _sqlite.DisposeAsync();
        _database.Dispose();
    }

    [Fact]
    public async Task A_used_sqlite_installation_copied_to_postgres_serves_the_same_objects_versions_history_and_tokens()
    {
        using var admin = _sqlite.CreateAdminClient();
        var api = new KrautApi(admin);
        var vm = await api.CreateVmAsync("copied-1");
        await api.CreateVmAsync("copied-2", metadata: new JsonObject { ["app"] = "db" });
        await api.WaitForPhaseAsync(vm, "running", TimeSpan.FromSeconds(30));
        await api.ActAsync(vm, "stop");
        await api.WaitForPhaseAsync(vm, "stopped", TimeSpan.FromSeconds(30));
        using (var patched = await admin.PatchAsync($"/api/v1/vms/{vm}", new StringContent("""{"metadata":{"env":"test"}}""", System.Text.Encoding.UTF8, "application/merge-patch+json")))
            Assert.True(patched.IsSuccessStatusCode, await patched.Content.ReadAsStringAsync());
        using var tokenAnswer = await admin.PostAsJsonAsync("/api/v1/tokens", AuthorizationPortal.TokenBody("copied-token", ["read"], ["vms"]));
        var secret = (string)JsonNode.Parse(await tokenAnswer.Content.ReadAsStringAsync())!["secret"]!;
        var before = await SnapshotAsync(admin, vm);
        _sqlite.Kill();

        var copy = await Tool.TryAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "KrautPortal.dll"), "db", "copy", "--to", _database.ConnectionString, "--data", _sqlite.DataDirectory]);
        output.WriteLine(copy.StdOut + copy.StdErr);
        Assert.True(copy.ExitCode == 0, copy.StdErr);
        Assert.Matches(@"resources\s+\d+", copy.StdOut);
        Assert.Matches(@"history\s+\d+", copy.StdOut);

        await using var postgres = new PortalProcess(TestHosts.TestDriver, null, new Dictionary<string, string?>
        {
            ["Database:Provider"] = "postgres",
            ["ConnectionStrings:Kraut"] = _database.ConnectionString,
        }, sharedDataDirectory: _sqlite.DataDirectory);
        await postgres.StartAsync();
        using var pgAdmin = postgres.CreateAdminClient();
        var after = await SnapshotAsync(pgAdmin, vm);
        Assert.Equal(before.Objects, after.Objects);
        Assert.Equal(before.ETag, after.ETag);
        Assert.Equal(before.History, after.History);

        // The person's token (its hash was copied) works on PostgreSQL.
        using var tokenClient = new HttpClient { BaseAddress = postgres.BaseAddress };
        tokenClient.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + secret);
        using (var read = await tokenClient.GetAsync($"/api/v1/vms/{vm}")) Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        // The audit chain (hashes over every entry) still holds on the copy.
        using (var verify = await pgAdmin.GetAsync("/api/v1/audit/verify"))
            Assert.True(verify.IsSuccessStatusCode, await verify.Content.ReadAsStringAsync());
        // New objects continue after the copied sequence numbers instead of colliding with them.
        await new KrautApi(pgAdmin).CreateVmAsync("after-copy");

        var again = await Tool.TryAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "KrautPortal.dll"), "db", "copy", "--to", _database.ConnectionString, "--data", _sqlite.DataDirectory]);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("not empty", again.StdErr);
        postgres.Kill();
    }

    private sealed record Snapshot(string Objects, string? ETag, string History);

    /// <summary>What must survive the copy: every kind's objects (status aside: a new process observes afresh), one object's ETag and history.</summary>
    private static async Task<Snapshot> SnapshotAsync(HttpClient client, Guid vm)
    {
        var objects = new List<string>();
        foreach (var kind in new[] { "vms", "networks", "images", "machine-types", "tokens" })
        {
            var list = await client.GetFromJsonAsync<JsonObject>($"/api/v1/{kind}?limit=500");
            foreach (var item in list!["items"]!.AsArray().Select(i => i!.AsObject()))
            {
                item.Remove("status");
                objects.Add(item.ToJsonString());
            }
        }
        using var get = await client.GetAsync($"/api/v1/vms/{vm}");
        var history = await client.GetStringAsync($"/api/v1/vms/{vm}/history");
        // PostgreSQL keeps microseconds, .NET and SQLite 100 ns: times are compared to the microsecond.
        static string Micro(string json) => System.Text.RegularExpressions.Regex.Replace(json, @"(T\d\d:\d\d:\d\d)(\.\d+)?Z",
            m => m.Groups[1].Value + (m.Groups[2].Value.PadRight(8, '0')[..7].TrimEnd('0') is var f && f != "." ? f : "") + "Z");
        return new Snapshot(Micro(string.Join("\n", objects)), get.Headers.ETag?.Tag, Micro(history));
    }
}
