using System.Text.Json.Nodes;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Store;

/// <summary>An installation made before resource_labels existed upgrades: its objects get labels and selectors find them.</summary>
/// <remarks>SQLite only: the upgrade is SQLite's ResourceLabels migration; PostgreSQL's first migration has labels from the start.</remarks>
[Trait("Database", "SqliteOnly")]
public sealed class ResourceLabelUpgradeTests : IAsyncLifetime
{
    private const string PreviousMigration = "20261204143238_AuthSessions";
    private readonly string _directory = Directory.CreateTempSubdirectory("kraut-labels-upgrade-").FullName;
    private ServiceProvider _services = null!;

    public Task InitializeAsync()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Database:Provider"] = "sqlite" }).Build();
        _services = new ServiceCollection().AddSingleton(TimeProvider.System).AddKrautStore(config, _directory).BuildServiceProvider();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static readonly Dictionary<string, JsonObject> Vms = new()
    {
        ["web-1"] = new() { ["env"] = "prod", ["ticket"] = "OPS-1", ["app"] = new JsonObject { ["tier"] = "web" }, ["cost"] = JsonNode.Parse("4000.50") },
        ["web-2"] = new() { ["env"] = "prod", ["legacy"] = true, ["app"] = new JsonObject { ["tier"] = "api" } },
        ["db-1"] = new() { ["env"] = "dev", ["a.b"] = "dotted", ["note"] = "a+b <ü> 🚀" },
        ["bare"] = new(),
    };

    [Fact]
    public async Task Migrating_ADatabaseWithLabelledVms_FillsTheirLabels_SoSelectorsFindThem_AsIfWrittenToday()
    {
        await using (var scope = _services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
            await db.GetService<IMigrator>().MigrateAsync(PreviousMigration);
            Assert.DoesNotContain("resource_labels", await TablesAsync(db));
            // Rows as the portal wrote them then; the default JSON encoder escapes '+', '<', 'ü' as older versions did.
            var now = DateTime.UtcNow;
            foreach (var (name, metadata) in Vms)
            {
                db.Resources.Add(new ResourceRow
                {
                    Id = Guid.CreateVersion7(), Kind = "vms", Name = name, Owner = "alice", Metadata = metadata.ToJsonString(),
                    Spec = "{}", Status = "{}", Version = 1, CreatedAt = now, UpdatedAt = now,
                });
            }
            await db.SaveChangesAsync();
        }

        await _services.MigrateKrautStoreAsync();

        Assert.Equal(["web-1", "web-2"], await NamesAsync("env=prod"));
        Assert.Equal(["web-1"], await NamesAsync("ticket=OPS-1"));
        Assert.Equal(["web-2"], await NamesAsync("app.tier=api,legacy=true"));
        Assert.Equal(["web-1"], await NamesAsync("cost=4000.50"));
        Assert.Equal(["db-1"], await NamesAsync("note"));
        Assert.Equal(["bare", "db-1", "web-1"], await NamesAsync("!legacy"));
        Assert.Empty(await NamesAsync("a.b=dotted"));

        // The same metadata written now, through the store (and the trigger), gets exactly the labels the upgrade gave.
        await using (var scope = _services.CreateAsyncScope())
        {
            var store = scope.ServiceProvider.GetRequiredService<ResourceStore>();
            var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
            foreach (var (name, metadata) in Vms)
            {
                var twin = await store.CreateAsync(new NewResource("vm-twins", name, "alice", metadata, "{}", "{}"), Actor.System, CancellationToken.None);
                var old = await db.Resources.AsNoTracking().Where(r => r.Kind == "vms" && r.Name == name).Select(r => r.Seq).SingleAsync();
                Assert.Equal(await LabelsAsync(db, old), await LabelsAsync(db, twin.Seq));
            }
        }
    }

    private async Task<List<string>> NamesAsync(string selector)
    {
        await using var scope = _services.CreateAsyncScope();
        var page = await scope.ServiceProvider.GetRequiredService<ResourceStore>().ListAsync("vms", new ListQuery(selector, 100), Actor.System, CancellationToken.None);
        return [.. page.Items.Select(r => r.Name).Order(StringComparer.Ordinal)];
    }

    private static async Task<List<string>> LabelsAsync(KrautDbContext db, long seq) =>
        [.. (await db.Set<Features.Store.Selectors.ResourceLabelRow>().AsNoTracking().Where(l => l.ResourceSeq == seq).ToListAsync())
            .Select(l => $"{l.Key}={l.Value ?? "(none)"}").Order(StringComparer.Ordinal)];

    private static async Task<List<string>> TablesAsync(KrautDbContext db) =>
        await db.Database.SqlQueryRaw<string>("SELECT name AS \"Value\" FROM sqlite_master WHERE type = 'table'").ToListAsync();
}
