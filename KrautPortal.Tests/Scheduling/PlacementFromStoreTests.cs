using System.Text.Json.Nodes;
using KrautPortal.Features.Images;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Scheduling;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Scheduling;

/// <summary>
/// A decision from the store (per-host sums in SQL, only the VMs the rules look at read) is the decision the scheduler
/// makes over every VM read and sized in memory: the same host, and every host's verdict, reason and score alike. On
/// SQLite and, with KRAUT_TEST_DATABASE=postgres, on PostgreSQL.
/// </summary>
public sealed class PlacementFromStoreTests : IAsyncLifetime
{
    private const long GiB = 1L << 30;
    private const string A = "test:///a";
    private const string B = "test:///b";
    private const string C = "test:///c";
    private const string Gone = "test:///gone";
    private static readonly OvercommitOptions Overcommit = new() { CpuOvercommit = 2, MemoryOvercommit = 1, DiskOvercommit = 1, HostMemoryReserveMiB = 512 };
    private static readonly Actor Erin = new("erin", IsAdmin: false, []);

    private readonly string _directory = Directory.CreateTempSubdirectory("kraut-placement-store-").FullName;
    private ServiceProvider _services = null!;
    private readonly Guid _shared = Guid.CreateVersion7();
    private readonly Guid _dedicated = Guid.CreateVersion7();
    private readonly Guid _image = Guid.CreateVersion7();
    private readonly Guid _otherImage = Guid.CreateVersion7();
    private Guid _movable;

    // Three hosts sharing nothing; a fourth name only VMs still carry (a host no longer configured).
    private static readonly HostFacts[] Hosts =
    [
        new(A, true, false, 8, 16 * GiB, 200 * GiB, A, new HashSet<string> { "x86_64" }, new HashSet<string>()),
        new(B, true, false, 16, 32 * GiB, 400 * GiB, B, new HashSet<string> { "x86_64" }, new HashSet<string>()),
        new(C, true, false, 4, 8 * GiB, 100 * GiB, C, new HashSet<string> { "x86_64" }, new HashSet<string>()),
    ];

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>(TestDatabase.Settings(_directory)) { ["Database:Provider"] = TestDatabase.IsPostgres ? "postgres" : "sqlite" };
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        _services = new ServiceCollection().AddSingleton(TimeProvider.System).AddKrautStore(config, _directory).BuildServiceProvider();
        await _services.MigrateKrautStoreAsync();

        await using var scope = _services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceStore>();
        async Task Make(string kind, string name, string owner, object spec, object status, JsonObject? metadata = null, Guid? id = null) =>
            await store.CreateAsync(new NewResource(kind, name, owner, metadata ?? [], KrautJson.Serialize(spec), KrautJson.Serialize(status), Id: id), Actor.System, default);

        await Make("machine-types", "shared", "admin", new MachineTypeSpec { Architecture = "x86_64", Vcpus = new(2, 1, 8), MemoryMiB = new(2048, 256, 16384) },
            new MachineTypeStatus(), id: _shared);
        await Make("machine-types", "dedicated", "admin", new MachineTypeSpec
        {
            Architecture = "x86_64", Placement = HostPlacement.Dedicated, Vcpus = new(4, 1, 8), MemoryMiB = new(4096, 256, 16384),
        }, new MachineTypeStatus(), id: _dedicated);
        await Make("images", "image", "admin", new ImageSpec(), new ImageStatus { VirtualSizeBytes = 12 * GiB }, id: _image);
        await Make("images", "other-image", "admin", new ImageSpec(), new ImageStatus { VirtualSizeBytes = 3 * GiB }, id: _otherImage);

        VmSpec Spec(string? host, int vcpus = 0, int memoryMiB = 0, int diskGiB = 0, Guid? type = null, Guid? image = null, VmPlacement? placement = null) =>
            new() { ImageId = image ?? _image, MachineTypeId = type ?? _shared, Vcpus = vcpus, MemoryMiB = memoryMiB, DiskGiB = diskGiB, Host = host, Placement = placement };
        JsonObject App(string app) => new() { ["app"] = app };
        var antiDb = new VmPlacement { AntiAffinity = [new VmPlacementRule { Selector = "app=db", Hard = true }] };

        // Sizes given, and left 0 for the machine type's default or the image's size.
        await Make("vms", "web-1", "alice", Spec(A, 2, 1024, 20), new VmStatus { Host = A }, App("web"));
        await Make("vms", "web-2", "alice", Spec(A), new VmStatus { Host = A }, App("web"));
        await Make("vms", "web-3", "erin", Spec(B, memoryMiB: 512, image: _otherImage), new VmStatus { Host = B }, App("web"));
        // Moving from B (status: where it runs) to A (spec: where it is going): it holds both hosts until the move is done.
        await Make("vms", "moved", "alice", Spec(A, 1, 512, 10), new VmStatus { Host = B }, App("web"));
        // Placed, not yet seen by the reconciler: the spec's host counts.
        await Make("vms", "placed", "alice", Spec(B, 3, 3072, 30), new VmStatus(), App("cache"));
        // Not placed at all: counts nowhere.
        await Make("vms", "unplaced", "alice", Spec(null, 8, 8192), new VmStatus());
        // A database VM keeping other database VMs away (a rule of its own, both ways).
        await Make("vms", "db-1", "bob", Spec(B, 4, 4096, 40, placement: antiDb), new VmStatus { Host = B }, App("db"));
        // A dedicated VM holds C alone.
        await Make("vms", "dedicated-1", "bob", Spec(C, type: _dedicated), new VmStatus { Host = C }, App("batch"));
        // On a host no longer configured.
        await Make("vms", "old", "alice", Spec(Gone, 1, 1024, 5), new VmStatus { Host = Gone }, App("web"));
        _movable = (await store.CreateAsync(new NewResource("vms", "movable", "erin", App("web"),
            KrautJson.Serialize(Spec(A, 4, 6144, 50)), KrautJson.Serialize(new VmStatus { Host = A })), Actor.System, default)).Id;
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        TestDatabase.Remove(_directory);
        Directory.Delete(_directory, recursive: true);
    }

    public static TheoryData<string> Cases => ["plain", "large", "default-size", "hard-anti-db", "labelled-db", "soft-affinity-web", "hard-affinity-cache",
        "soft-anti-web", "dedicated", "replace-movable", "negated-anti"];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task TheDecisionFromTheStore_IsTheDecisionOverEveryVmInMemory(string @case)
    {
        var (id, spec, metadata) = Case(@case);
        foreach (var strategy in new[] { PlacementStrategy.Spread, PlacementStrategy.Pack })
        {
            foreach (var shownTo in new[] { Actor.System, Erin })
            {
                var options = new SchedulingOptions { Strategy = strategy };
                await using var scope = _services.CreateAsyncScope();
                var reader = scope.ServiceProvider.GetRequiredService<KindReader>();

                var fromStore = await VmScheduling.DecideAsync(reader, id, spec, metadata, Hosts, Overcommit, options, default, shownTo);
                var inMemory = await InMemoryAsync(reader, id, spec, metadata, options, shownTo);

                Assert.Equal(KrautJson.Serialize(inMemory), KrautJson.Serialize(fromStore));
            }
        }
    }

    [Fact]
    public async Task TheCases_ReachTheFiltersTheyAreAbout()
    {
        async Task<PlacementDecision> Decide(string @case)
        {
            var (id, spec, metadata) = Case(@case);
            await using var scope = _services.CreateAsyncScope();
            return await VmScheduling.DecideAsync(scope.ServiceProvider.GetRequiredService<KindReader>(), id, spec, metadata, Hosts, Overcommit, new SchedulingOptions(), default, Erin);
        }
        HostVerdict On(PlacementDecision d, string host) => d.Hosts.Single(h => h.Host == host);

        Assert.Equal(("dedicated", "holds the dedicated VM 'a VM of another owner'"), (On(await Decide("plain"), C).Filter, On(await Decide("plain"), C).Reason));
        Assert.Equal("anti-affinity", On(await Decide("hard-anti-db"), B).Filter);
        Assert.Equal("runs 'a VM of another owner', whose hard anti-affinity \"app=db\" matches this VM", On(await Decide("labelled-db"), B).Reason);
        Assert.Equal("affinity", On(await Decide("hard-affinity-cache"), A).Filter);
        // web-1, web-2, movable and moved (on its way to A).
        Assert.StartsWith("has 4 VMs", On(await Decide("dedicated"), A).Reason, StringComparison.Ordinal);
        // 16 GiB less 512 MiB reserve; web-1 1 GiB, web-2 2 GiB (its type's default), movable 6 GiB, moved (moving here) 512 MiB: 6 GiB left.
        Assert.Equal("memory", On(await Decide("large"), A).Filter);
        Assert.Contains("(16 GiB × 1 − 512 MiB reserve = 15.5 GiB, 9.5 GiB promised)", On(await Decide("large"), A).Reason, StringComparison.Ordinal);
        // Placing movable again leaves its own 6 GiB out of A's load.
        Assert.Null(On(await Decide("replace-movable"), A).Filter);
    }

    [Fact]
    public async Task AMovingVm_CountsOnItsSourceAndItsTarget_UntilTheMoveIsDone()
    {
        // 6 GiB left on A only because "moved" (512 MiB, running on B) is on its way there: 6.25 GiB no longer fits.
        var spec = new VmSpec { ImageId = _image, MachineTypeId = _shared, Vcpus = 1, MemoryMiB = 6400, DiskGiB = 10 };
        await using var scope = _services.CreateAsyncScope();
        var reader = scope.ServiceProvider.GetRequiredService<KindReader>();
        var decision = await VmScheduling.DecideAsync(reader, null, spec, [], Hosts, Overcommit, new SchedulingOptions(), default);
        var onA = decision.Hosts.Single(h => h.Host == A);
        Assert.Equal("memory", onA.Filter);
        Assert.Contains("9.5 GiB promised", onA.Reason, StringComparison.Ordinal);
        // B still holds it: web-3 512 MiB, moved 512 MiB, placed 3 GiB, db-1 4 GiB.
        var onB = await VmScheduling.DecideAsync(reader, null, spec with { MemoryMiB = 32 * 1024 }, [], Hosts, Overcommit, new SchedulingOptions(), default);
        Assert.Contains("8 GiB promised", onB.Hosts.Single(h => h.Host == B).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhatTheCapacityViewsCount_IsWhatPlacementCounts_AMovingVmOnBothHosts()
    {
        // The dashboard and GET /api/v1/capacity read HostAllocations, as the decision above does: the same figures.
        await using var scope = _services.CreateAsyncScope();
        var reader = scope.ServiceProvider.GetRequiredService<KindReader>();
        var types = (await reader.SpecsAsync<MachineTypeSpec>(Kinds.MachineTypes, default)).ToDictionary(t => t.Id, t => t.Spec);
        var images = (await reader.StatusesAsync<ImageStatus>(Kinds.Images, default)).ToDictionary(i => i.Key, i => i.Value.VirtualSizeBytes ?? 0);
        var perHost = (await HostAllocations.SumAsync(reader, types, images, except: null, default))
            .GroupBy(a => a.Usage.Host).ToDictionary(g => g.Key, g => g.Select(a => a.Usage).Aggregate((x, y) => x.Plus(y)));

        // A: web-1 1 GiB, web-2 2 GiB (its type's default), movable 6 GiB, moved (moving here) 512 MiB.
        Assert.Equal((4, 9.5 * GiB), (perHost[A].Vms, (double)perHost[A].MemoryBytes));
        // B: web-3 512 MiB, moved (still running here) 512 MiB, placed (not yet built: its spec's host) 3 GiB, db-1 4 GiB.
        Assert.Equal((4, 8.0 * GiB), (perHost[B].Vms, (double)perHost[B].MemoryBytes));
        Assert.Equal(2 + 1 + 3 + 4, perHost[B].Vcpus); // web-3 takes its type's default of 2
        Assert.False(perHost.ContainsKey("unplaced"));
        Assert.Equal(1, perHost[Gone].Vms);
    }

    private (Guid? Id, VmSpec Spec, JsonObject Metadata) Case(string name)
    {
        VmSpec Spec(int vcpus = 1, int memoryMiB = 1024, int diskGiB = 10, Guid? type = null, VmPlacement? placement = null) =>
            new() { ImageId = _image, MachineTypeId = type ?? _shared, Vcpus = vcpus, MemoryMiB = memoryMiB, DiskGiB = diskGiB, Placement = placement };
        VmPlacement Rule(string selector, bool hard, bool anti) => anti
            ? new VmPlacement { AntiAffinity = [new VmPlacementRule { Selector = selector, Hard = hard }] }
            : new VmPlacement { Affinity = [new VmPlacementRule { Selector = selector, Hard = hard }] };
        return name switch
        {
            "plain" => (null, Spec(), []),
            "large" => (null, Spec(4, 7168, 60), []),
            "default-size" => (null, Spec(0, 0, 0), []),
            "hard-anti-db" => (null, Spec(placement: Rule("app=db", hard: true, anti: true)), new JsonObject { ["app"] = "db" }),
            "labelled-db" => (null, Spec(), new JsonObject { ["app"] = "db" }),
            "soft-affinity-web" => (null, Spec(placement: Rule("app in (web,cache)", hard: false, anti: false)), []),
            "hard-affinity-cache" => (null, Spec(placement: Rule("app=cache", hard: true, anti: false)), []),
            "soft-anti-web" => (null, Spec(placement: Rule("app=web", hard: false, anti: true)), new JsonObject { ["app"] = "web" }),
            "dedicated" => (null, Spec(0, 0, type: _dedicated), []),
            "replace-movable" => (_movable, Spec(4, 6144, 50), new JsonObject { ["app"] = "web" }),
            "negated-anti" => (null, Spec(placement: Rule("app!=web,!missing", hard: false, anti: true)), []),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    /// <summary>The reference: every VM read and sized one by one, every one handed to the scheduler.</summary>
    private static async Task<PlacementDecision> InMemoryAsync(KindReader reader, Guid? id, VmSpec spec, JsonObject metadata, SchedulingOptions options, Actor shownTo)
    {
        var types = (await reader.SpecsAsync<MachineTypeSpec>(Kinds.MachineTypes, default)).ToDictionary(t => t.Id, t => t.Spec);
        var imageSizes = (await reader.StatusesAsync<ImageStatus>(Kinds.Images, default)).ToDictionary(i => i.Key, i => i.Value.VirtualSizeBytes ?? 0);
        var placed = new List<PlacedVm>();
        foreach (var vm in await reader.AllAsync<VmSpec, VmStatus>(Kinds.Vms, default))
        {
            if ((vm.Status.Host ?? vm.Spec.Host) is not { } host) continue;
            var r = VmScheduling.Request(vm.Id, vm.Spec, vm.Metadata, types, imageSizes);
            var placedVm = new PlacedVm(vm.Id, shownTo.MaySee(vm.Owner, vm.System) ? vm.Name : "a VM of another owner", host, r.Vcpus, r.MemoryBytes, r.DiskBytes,
                r.Dedicated, vm.Metadata, r.AntiAffinity.Where(a => a.Hard).ToList());
            placed.Add(placedVm);
            if (vm.Spec.Host is { } target && target != host) placed.Add(placedVm with { Host = target });
        }
        return Scheduler.Place(VmScheduling.Request(id, spec, metadata, types, imageSizes), Hosts, placed, Overcommit, options);
    }
}
