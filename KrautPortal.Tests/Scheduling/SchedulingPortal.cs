using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Auth;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Scheduling;

/// <summary>
/// A portal with two hosts on libvirt's test driver, each its own in-memory hypervisor: <c>test:///default</c> (16 CPUs,
/// 3 GiB) and a small one from a node XML of the test's own (2 CPUs, 2 GiB). Overcommit: CPU 4, memory 1, 512 MiB reserved,
/// so the memory ceilings are 2.5 GiB and 1.5 GiB. Erin is a user who is not an administrator.
/// </summary>
public abstract class SchedulingPortal : IDisposable
{
    public const long MiB = 1L << 20;
    public const long DefaultCeilingMiB = 3072 - 512;
    public const long SmallCeilingMiB = 2048 - 512;
    private const string UserPassword = "erin-Scheduling-7c2e91";
    private readonly TempDir _dir = new();

    protected SchedulingPortal(string strategy)
    {
        SmallHost = "test://" + _dir.File("small-host.xml");
        File.WriteAllText(SmallHost["test://".Length..], """
            <node>
              <cpu><mhz>2000</mhz><model>x86_64</model><active>2</active><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>
              <memory>2097152</memory>
            </node>
            """);
        var users = _dir.File("htpasswd");
        HtpasswdTool.Set(users, "-B", "erin", UserPassword);
        App = new KrautAppFactory(settings: new Dictionary<string, string?>
        {
            ["Kraut:Hosts:1"] = SmallHost,
            ["Auth:Htpasswd:File"] = users,
            ["Capacity:CpuOvercommit"] = "4",
            ["Capacity:MemoryOvercommit"] = "1",
            ["Capacity:HostMemoryReserveMiB"] = "512",
            ["Scheduling:Strategy"] = strategy,
            // On PostgreSQL (KRAUT_TEST_DATABASE=postgres) eight creates run their transactions at once in this process,
            // so only the placement lock keeps them from overfilling a host (SQLite has one writer whatever this says).
            ["Database:WritersAbreast"] = "8",
        });
        Admin = App.CreateClient();
        User = App.CreateAnonymousClient();
        User.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"erin:{UserPassword}")));
        Api = new KrautApi(Admin);
    }

    public const string DefaultHost = KrautAppFactory.TestDriver;
    public string SmallHost { get; }
    public KrautAppFactory App { get; }
    public HttpClient Admin { get; }
    public HttpClient User { get; }
    public KrautApi Api { get; }

    /// <summary>A create's body: the seeded image and network, machine type small, with labels and placement rules.</summary>
    /// <param name="nic">False: no NIC, so no per-network IPAM lock orders parallel creates (only the placement lock does).</param>
    public async Task<JsonObject> VmBodyAsync(string name, int memoryMiB, string? labels = null, JsonObject? placement = null, bool nic = true)
    {
        var metadata = new JsonObject();
        foreach (var pair in (labels ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)) metadata[pair.Split('=')[0]] = pair.Split('=')[1];
        var spec = new JsonObject
        {
            ["imageId"] = (await Api.IdOfAsync("images", "kraut-test-guest")).ToString(),
            ["machineTypeId"] = (await Api.IdOfAsync("machine-types", "small")).ToString(),
            ["memoryMiB"] = memoryMiB,
            ["nics"] = nic ? new JsonArray(new JsonObject { ["networkId"] = (await Api.IdOfAsync("networks", "default")).ToString() }) : new JsonArray(),
        };
        if (placement is not null) spec["placement"] = placement.DeepClone();
        return new JsonObject { ["name"] = name, ["metadata"] = metadata, ["spec"] = spec };
    }

    public static JsonObject AntiAffinity(string selector, bool hard = true) =>
        new() { ["antiAffinity"] = new JsonArray(new JsonObject { ["selector"] = selector, ["hard"] = hard }) };

    public async Task<HttpResponseMessage> CreateAsync(JsonObject body, HttpClient? client = null) =>
        await (client ?? Admin).PostAsJsonAsync("/api/v1/vms", body);

    public async Task<JsonObject> PreviewAsync(JsonObject body)
    {
        using var response = await Admin.PostAsJsonAsync("/api/v1/vms/placement-preview", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"preview: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public async Task<string> HostIdAsync(string uri)
    {
        var hosts = JsonNode.Parse(await Admin.GetStringAsync("/api/v1/hosts"))!.AsArray();
        return (string)hosts.Single(h => (string)h!["uri"]! == uri)!["id"]!;
    }

    /// <summary>Every VM's host and memory, from the API, summed per host (MiB).</summary>
    public async Task<Dictionary<string, long>> MemoryByHostAsync()
    {
        var list = JsonNode.Parse(await Admin.GetStringAsync("/api/v1/vms?limit=500"))!["items"]!.AsArray();
        return list.Where(v => v!["spec"]!["host"] is not null)
            .GroupBy(v => (string)v!["spec"]!["host"]!)
            .ToDictionary(g => g.Key, g => g.Sum(v => (long)v!["spec"]!["memoryMiB"]!));
    }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        Admin.Dispose();
        User.Dispose();
        App.Dispose();
        _dir.Dispose();
    }
}

public sealed class SpreadPortal() : SchedulingPortal("spread");

public sealed class PackPortal() : SchedulingPortal("pack");
