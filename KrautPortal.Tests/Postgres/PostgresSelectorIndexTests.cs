using System.Text.RegularExpressions;
using KrautPortal.Features.Store;
using KrautPortal.Features.Store.Selectors;
using KrautPortal.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace KrautPortal.Tests.Postgres;

/// <summary>
/// Selectors on PostgreSQL are served by indexes: 20,000 VMs, and the plan of each kind of selector query (a rare label
/// leading, a few thousand read as a set, a common one walked in name order) reads no table from end to end.
/// </summary>
public sealed partial class PostgresSelectorIndexTests : IAsyncLifetime
{
    private const int Vms = 20_000;
    private readonly PostgresServer _server = PostgresServer.CreateDatabase();
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _services = PostgresMigrationTests.Services(_server);
        await _services.MigrateKrautStoreAsync();
        await using var connection = _server.Open();
        // app: 100 values (200 VMs each); tier: 4 values (5,000 each); env: all the same; rare: on 10 VMs.
        await PostgresMigrationTests.ExecuteAsync(connection, $$"""
            INSERT INTO resources ("Id", "Kind", "Name", "Owner", "Metadata", "Spec", "Status", "Version", "CreatedAt", "UpdatedAt", "IsSystem")
            SELECT gen_random_uuid(), 'vms', 'vm-' || lpad(i::text, 6, '0'), 'owner-' || (i % 50),
                   jsonb_build_object('labels', jsonb_build_object('app', 'app-' || (i % 100), 'tier', 't' || (i % 4), 'env', 'prod')
                     || CASE WHEN i % 2000 = 0 THEN '{"rare":"yes"}'::jsonb ELSE '{}'::jsonb END)::text,
                   '{}', '{"phase":"running"}', 1, now(), now(), FALSE
              FROM generate_series(1, {{Vms}}) AS i
            """);
        await PostgresMigrationTests.ExecuteAsync(connection, "ANALYZE");
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        _server.Dispose();
    }

    [Theory]
    [InlineData("labels.rare=yes", 10, "StartFrom")]
    [InlineData("labels.app=app-7", 200, "StartFrom")]
    [InlineData("labels.tier=t1,labels.app!=app-1", 4_800, "Set")]
    [InlineData("labels.env=prod,labels.app in (app-3,app-4)", 400, "StartFrom")]
    [InlineData("labels.env=prod", Vms, null)]
    public async Task ASelectorPage_IsPlannedOnIndexes_AndFindsWhatItShould(string selectorText, int expected, string? leadMode)
    {
        await using var scope = _services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
        var dialect = scope.ServiceProvider.GetRequiredService<DatabaseProvider>().Dialect;
        var selector = SelectorParser.Parse(selectorText);
        var lead = await SelectorPlanner.ChooseLeadAsync(db, dialect, "vms", selector, CancellationToken.None);
        Assert.Equal(leadMode, lead?.Mode.ToString());

        var fragment = dialect.Select(selector, lead);
        // As the store pages: one kind, in name order, a page of 100.
        var sql = Positional(fragment.Sql);
        var page = $"""SELECT s."Name" FROM ({sql}) AS s WHERE s."Kind" = 'vms' ORDER BY s."Name", s."Seq" LIMIT 100""";
        await using var connection = _server.Open();
        var plan = string.Join("\n", await PostgresMigrationTests.ColumnAsync<string>(connection, "EXPLAIN " + page, [.. fragment.Parameters]));
        Assert.DoesNotContain("Seq Scan on resources", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan on resource_labels", plan, StringComparison.Ordinal);
        Assert.Matches(IndexUse(), plan);

        var count = await PostgresMigrationTests.ColumnAsync<long>(connection, $"SELECT COUNT(*) FROM ({sql}) AS s", [.. fragment.Parameters]);
        Assert.Equal(expected, count.Single());
        Assert.Equal(Math.Min(100, expected), (await PostgresMigrationTests.ColumnAsync<string>(connection, page, [.. fragment.Parameters])).Count);
    }

    /// <summary>The dialect's {0}, {1}... as PostgreSQL's $1, $2... (what EF makes of them).</summary>
    private static string Positional(string sql) => Placeholder().Replace(sql, m => "$" + (int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 1));

    [GeneratedRegex(@"\{(\d+)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"Index (Only )?Scan using (""IX_resource_labels_Kind_Key_Value_ResourceSeq""|""PK_resource_labels""|""IX_resources_Kind_Name_Seq"")|Bitmap Index Scan on ""IX_resource_labels")]
    private static partial Regex IndexUse();
}
