using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KrautPortal.TestSupport;

/// <summary>
/// A real router set up as a user would, driven only through the API of a portal process on the machine's libvirtd:
/// an inner network, an upstream network, a router between them and a firewall on the inner network. "The internet"
/// is a network namespace on the upstream network's bridge with two addresses (.200 and .201); it routes the inner
/// subnet via the router's upstream address and serves a whoami page on :8000. The traffic tests and the router
/// benchmark judge the router by traffic from there. Disposing stops the portal and removes all it made.
/// </summary>
public class RouterLab(PortalProcess portal) : IAsyncDisposable
{
    public static readonly TimeSpan Boot = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan Apply = TimeSpan.FromMinutes(3);
    public static readonly TimeSpan Probe = TimeSpan.FromSeconds(3);

    public const int InternetPort = 8000;

    /// <summary>The user the router's SSH server lets the owner in as (geek mode).</summary>
    public const string RouterSshUser = "root";

    private NetworkNamespace? _internet;

    public PortalProcess Portal { get; } = portal;
    public HttpClient Http { get; private set; } = null!;

    public string InnerPrefix { get; private set; } = "";
    public string UpstreamPrefix { get; private set; } = "";
    public Guid InnerNetworkId { get; private set; }
    public Guid UpstreamNetworkId { get; private set; }
    public string InnerBridge { get; private set; } = "";
    public string UpstreamBridge { get; private set; } = "";
    public Guid FirewallId { get; private set; }
    public Guid RouterId { get; private set; }

    /// <summary>The router's address on the upstream network, as its status names it.</summary>
    public string RouterUpstream { get; private set; } = "";

    public NetworkNamespace Internet => _internet ?? throw new InvalidOperationException("the lab is not built");

    /// <summary>The internet's two addresses: tests that care about the source pick one.</summary>
    public string Client1 => Internet.Addresses[0];
    public string Client2 => Internet.Addresses[1];

    /// <summary>
    /// Starts the portal (with the router appliance seeded) and builds networks, firewall (no rules), router and the
    /// internet; guests are the caller's (<see cref="CreateGuestAsync"/>). <paramref name="subnets"/> picks free /24
    /// prefixes ("10.x.y") for the two networks.
    /// </summary>
    public async Task BuildAsync(Func<string> subnets)
    {
        SeedRouterAppliance(Portal.DataDirectory);
        await Portal.StartAsync(TimeSpan.FromMinutes(2));
        Http = Portal.CreateClient();
        InnerPrefix = subnets();
        do UpstreamPrefix = subnets(); while (UpstreamPrefix == InnerPrefix);

        InnerNetworkId = await CreateAsync("networks", Network("traffic-inner", InnerPrefix));
        UpstreamNetworkId = await CreateAsync("networks", Network("traffic-upstream", UpstreamPrefix));
        InnerBridge = await BridgeOfAsync(InnerNetworkId);
        UpstreamBridge = await BridgeOfAsync(UpstreamNetworkId);

        FirewallId = await CreateAsync("firewalls", new JsonObject
        {
            ["name"] = "traffic-firewall",
            ["metadata"] = new JsonObject(),
            ["spec"] = FirewallJson.Spec(InnerNetworkId, []),
        });
        RouterId = await CreateAsync("routers", new JsonObject
        {
            ["name"] = "traffic-router",
            ["metadata"] = new JsonObject(),
            ["spec"] = new JsonObject { ["networkId"] = InnerNetworkId.ToString(), ["upstreamNetworkId"] = UpstreamNetworkId.ToString() },
        });
        var router = await WaitForRouterAsync(s => Phase(s) == "active" && Text(s, "upstreamAddress") is not null && Text(s, "appliedHash") is not null,
            Boot, "the router to be active with a ruleset applied");
        RouterUpstream = Text(router, "upstreamAddress")!;

        _internet = NetworkNamespace.OnBridge(UpstreamBridge, [$"{UpstreamPrefix}.200/24", $"{UpstreamPrefix}.201/24"],
            [($"{InnerPrefix}.0/24", RouterUpstream)]);
        _internet.ServeHttp(InternetPort, "internet ok");
    }

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        _internet?.Dispose();
        Http?.Dispose();
        // Removes the router VM and the guests with the portal's instance (libvirt domains, networks, files).
        await Portal.DisposeAsync();
    }

    // --- firewall and router, through the API ---------------------------------------------------------------------

    /// <summary>Replaces the firewall's rules and forwards; returns the new version.</summary>
    public async Task<long> SetFirewallAsync(IEnumerable<JsonObject> rules, IEnumerable<JsonObject>? forwards = null)
    {
        var body = new JsonObject
        {
            ["name"] = "traffic-firewall",
            ["metadata"] = new JsonObject(),
            ["spec"] = FirewallJson.Spec(InnerNetworkId, rules, forwards),
        };
        return Version(await SendAsync(HttpMethod.Put, $"firewalls/{FirewallId}", body));
    }

    /// <summary>Sets the firewall and waits until the router says it runs that version (applied hash = desired hash).</summary>
    public async Task<long> ApplyAsync(IEnumerable<JsonObject> rules, IEnumerable<JsonObject>? forwards = null)
    {
        var version = await SetFirewallAsync(rules, forwards);
        await WaitAppliedAsync(version);
        return version;
    }

    public async Task<long> RevertFirewallAsync(long version) =>
        Version(await SendAsync(HttpMethod.Post, $"firewalls/{FirewallId}/revert", new JsonObject { ["version"] = version }));

    /// <summary>The preview of the saved firewall (no body: a body would be previewed as a draft).</summary>
    public async Task<JsonElement> PreviewAsync()
    {
        using var response = await Http.PostAsync($"/api/v1/firewalls/{FirewallId}/preview", null);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"preview failed: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<JsonElement> RouterStatusAsync() =>
        (await Http.GetFromJsonAsync<JsonElement>($"/api/v1/routers/{RouterId}")).GetProperty("status");

    public async Task<JsonElement> WaitForRouterAsync(Func<JsonElement, bool> condition, TimeSpan timeout, string what)
    {
        JsonElement status = default;
        try
        {
            await Eventually.WaitUntilAsync(async () => condition(status = await RouterStatusAsync()), timeout, what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Last router status: {status}", e);
        }
        return status;
    }

    /// <summary>Waits until the router runs firewall version <paramref name="version"/> (or later) with no apply error.</summary>
    public Task<JsonElement> WaitAppliedAsync(long version) =>
        WaitForRouterAsync(s => Number(s, "appliedFirewallVersion") >= version && Text(s, "appliedHash") is { } applied
            && applied == Text(s, "desiredHash") && Text(s, "applyError") is null, Apply, $"the router to apply firewall version {version}");

    /// <summary>Replaces a VM's metadata (merge-patch of the whole object).</summary>
    public async Task SetVmMetadataAsync(Guid vmId, JsonObject metadata) =>
        await SendAsync(HttpMethod.Patch, $"vms/{vmId}", new JsonObject { ["metadata"] = metadata }, "application/merge-patch+json");

    public async Task SetGeekModeAsync(bool enabled, params string[] sourceCidrs)
    {
        var spec = new JsonObject
        {
            ["networkId"] = InnerNetworkId.ToString(),
            ["upstreamNetworkId"] = UpstreamNetworkId.ToString(),
            ["geekMode"] = new JsonObject { ["enabled"] = enabled, ["sourceCidrs"] = new JsonArray(sourceCidrs.Select(c => (JsonNode)c).ToArray()) },
        };
        await SendAsync(HttpMethod.Put, $"routers/{RouterId}", new JsonObject { ["name"] = "traffic-router", ["metadata"] = new JsonObject(), ["spec"] = spec });
    }

    // --- traffic --------------------------------------------------------------------------------------------------

    /// <summary>GET http://host:port/ from the internet (default host: the web guest).</summary>
    public Task<HttpProbe> FromInternetAsync(int port, string? from = null, string? host = null) =>
        Internet.GetAsync($"http://{host ?? DefaultTarget}:{port.ToString(CultureInfo.InvariantCulture)}/", Probe, from);

    /// <summary>Waits (a ruleset may need a moment past its status) until the port answers from the internet.</summary>
    public async Task<HttpProbe> ExpectAnswerAsync(int port, string? from = null, string? host = null, TimeSpan? within = null)
    {
        HttpProbe last = null!;
        try
        {
            await Eventually.WaitUntilAsync(async () => (last = await FromInternetAsync(port, from, host)).Answered, within ?? TimeSpan.FromSeconds(60),
                $"{host ?? DefaultTarget}:{port} to answer from {from ?? Client1}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Last probe: {last}", e);
        }
        return last;
    }

    /// <summary>Where probes go unless told: the first guest at .10 on the inner network.</summary>
    public string DefaultTarget => $"{InnerPrefix}.10";

    /// <summary>Waits until the port stops answering (for changes whose timing the test does not control).</summary>
    public Task ExpectStopsAnsweringAsync(int port, string? from = null, string? host = null) =>
        Eventually.WaitUntilAsync(async () => !(await FromInternetAsync(port, from, host)).Answered, Apply,
            $"{host ?? DefaultTarget}:{port} to stop answering from {from ?? Client1}");

    // --- guests ---------------------------------------------------------------------------------------------------

    public Task WaitForConsoleAsync(Guid vmId, string marker, TimeSpan timeout) =>
        Eventually.WaitUntilAsync(() => GuestConsole.Read(Portal.ConsoleFor(vmId)).Contains(marker, StringComparison.Ordinal), timeout,
            $"'{marker}' on the console of {vmId}");

    public async Task<Guid> CreateGuestAsync(string name, string ipv4, string? userData, Guid? networkId = null)
    {
        var spec = new JsonObject
        {
            ["imageId"] = (await IdOfAsync("images", "kraut-test-guest")).ToString(),
            ["machineTypeId"] = (await IdOfAsync("machine-types", "small")).ToString(),
            ["memoryMiB"] = 256,
            ["nics"] = new JsonArray(new JsonObject { ["networkId"] = (networkId ?? InnerNetworkId).ToString(), ["ipv4Address"] = ipv4 }),
        };
        if (userData is not null) spec["userData"] = userData.ReplaceLineEndings("\n") + "\n";
        return await CreateAsync("vms", new JsonObject { ["name"] = name, ["metadata"] = new JsonObject(), ["spec"] = spec });
    }

    // --- JSON ------------------------------------------------------------------------------------------------------

    public static string? Phase(JsonElement status) => Text(status, "phase");

    public static string? Text(JsonElement status, string property) =>
        status.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static long? Number(JsonElement status, string property) =>
        status.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : null;

    public async Task<JsonElement> SendAsync(HttpMethod method, string path, JsonObject body, string mediaType = "application/json")
    {
        using var request = new HttpRequestMessage(method, $"/api/v1/{path}") { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, mediaType) };
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{method} {path} failed: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone();
    }

    /// <summary>
    /// The router appliance (<c>scripts/build-guest-image.sh --router</c>, cached next to the test guest) in the portal's
    /// seed directory, where its start-up registers it as the routers' system image.
    /// </summary>
    public static void SeedRouterAppliance(string dataDirectory)
    {
        File.Copy(RouterAppliance.ImagePath, Path.Combine(dataDirectory, "seed", Features.Vms.RouterApplianceRegistry.ImageFile), overwrite: true);
    }

    public async Task<Guid> CreateAsync(string kind, JsonObject body) =>
        (await SendAsync(HttpMethod.Post, kind, body)).GetProperty("id").GetGuid();

    public async Task<Guid> IdOfAsync(string kind, string name)
    {
        var list = await Http.GetFromJsonAsync<JsonElement>($"/api/v1/{kind}?limit=500");
        return list.GetProperty("items").EnumerateArray().Where(i => i.GetProperty("name").GetString() == name).Select(i => i.GetProperty("id").GetGuid())
            .FirstOrDefault() is var id && id != Guid.Empty ? id : throw new InvalidOperationException($"no {kind} named {name}");
    }

    private static long Version(JsonElement resource) => resource.GetProperty("version").GetInt64();

    private static JsonObject Network(string name, string prefix) => new()
    {
        ["name"] = name,
        ["metadata"] = new JsonObject(),
        // The namespace's addresses are kept out of Kraut's address management.
        ["spec"] = new JsonObject { ["ipv4Cidr"] = $"{prefix}.0/24", ["ipv4Mode"] = "dhcp", ["excluded"] = new JsonArray($"{prefix}.200-{prefix}.210") },
    };

    private async Task<string> BridgeOfAsync(Guid networkId)
    {
        string? bridge = null;
        await Eventually.WaitUntilAsync(async () =>
        {
            var status = (await Http.GetFromJsonAsync<JsonElement>($"/api/v1/networks/{networkId}")).GetProperty("status");
            bridge = Phase(status) == "active" ? Text(status, "bridge") : null;
            return !string.IsNullOrEmpty(bridge);
        }, TimeSpan.FromSeconds(90), $"network {networkId} to be active with a bridge");
        return bridge!;
    }
}
