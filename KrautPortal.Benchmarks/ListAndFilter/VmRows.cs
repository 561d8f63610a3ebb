using System.Globalization;
using System.Text.Json.Nodes;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;

namespace KrautPortal.Benchmarks.ListAndFilter;

/// <summary>
/// Deterministic, realistically skewed VM rows. Metadata: env (prod-heavy), team (50, Zipf-like), tier,
/// a nested app.tier, legacy on a few, a numeric costCenter, and a ticket label on exactly one row in 2,000.
/// Some rows lack each key.
/// </summary>
public sealed class VmRows(int total, int seed = 42)
{
    public const string Kind = "vms";
    public const int Teams = 50;
    public const string RareTicket = "OPS-1234";
    public const int RareEvery = 2_000;

    private static readonly string[] Roles = ["web", "api", "db", "cache", "worker", "batch", "ci", "proxy"];
    private static readonly string[] Apps = [.. Enumerable.Range(0, 30).Select(i => "app" + i.ToString("D2", CultureInfo.InvariantCulture))];
    private static readonly Guid ImageId = Guid.Parse("01a21296-0000-7000-8000-000000000001");
    private static readonly Guid MachineTypeId = Guid.Parse("01a21296-0000-7000-8000-000000000002");
    private static readonly Guid NetworkId = Guid.Parse("01a21296-0000-7000-8000-000000000003");
    private static readonly double[] TeamWeights = CumulativeZipf(Teams, 0.8);

    private readonly Random _random = new(seed);

    /// <summary>When row <paramref name="index"/> was created: one every 5 minutes, the last on 2026-11-01.</summary>
    public DateTime CreatedAt(int index) =>
        new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(5.0 * (index - total));

    public NewResource Next(int index)
    {
        var metadata = new JsonObject();
        var env = _random.NextDouble() switch { < 0.45 => "prod", < 0.65 => "staging", < 0.90 => "dev", < 0.98 => "test", _ => null };
        if (env is not null) metadata["env"] = env;
        string? team = null;
        if (_random.NextDouble() >= 0.03)
        {
            var draw = _random.NextDouble();
            team = "team-" + Array.FindIndex(TeamWeights, w => w >= draw).ToString(CultureInfo.InvariantCulture);
            metadata["team"] = team;
        }
        var tier = _random.NextDouble() switch { < 0.30 => "web", < 0.55 => "api", < 0.70 => "worker", < 0.80 => "db", < 0.90 => "cache", _ => null };
        if (tier is not null) metadata["tier"] = tier;
        if (_random.NextDouble() < 0.6)
            metadata["app"] = new JsonObject { ["name"] = Apps[_random.Next(Apps.Length)], ["tier"] = tier ?? "web" };
        if (_random.NextDouble() < 0.05) metadata["legacy"] = "true";
        if (_random.NextDouble() < 0.5) metadata["costCenter"] = 4000 + _random.Next(100);
        if (index % RareEvery == 7) metadata["ticket"] = RareTicket;

        var role = Roles[_random.Next(Roles.Length)];
        var name = $"{role}-{index.ToString("x6", CultureInfo.InvariantCulture)}";
        var mac = "52:54:00:" + string.Join(':', BitConverter.GetBytes(index).Take(3).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
        var spec = new VmSpec
        {
            ImageId = ImageId,
            MachineTypeId = MachineTypeId,
            Vcpus = 1 << _random.Next(3),
            MemoryMiB = 512 << _random.Next(4),
            Nics = [new VmNic { Id = new Guid(index, 0, 0, new byte[8]), NetworkId = NetworkId, Mac = mac }],
        };
        var status = new VmStatus
        {
            Phase = VmPhase.Running,
            Host = "qemu:///system",
            DomainName = $"kraut-{index:D8}",
            DomainType = "qemu",
            DomainDefined = true,
            ObservedVersion = 1,
            Addresses = [new VmAddress(mac, $"10.{77 + index / 65536 % 50}.{index / 256 % 256}.{index % 256}", "dhcp-lease")],
            ObservedAt = CreatedAt(index).AddSeconds(40),
        };
        return new NewResource(Kind, name, team ?? "alice", metadata, KrautJson.Serialize(spec), KrautJson.Serialize(status));
    }

    private static double[] CumulativeZipf(int n, double s)
    {
        var weights = Enumerable.Range(1, n).Select(k => 1 / Math.Pow(k, s)).ToArray();
        var total = weights.Sum();
        var sum = 0.0;
        var cumulative = weights.Select(w => sum += w / total).ToArray();
        cumulative[^1] = 1;
        return cumulative;
    }
}
