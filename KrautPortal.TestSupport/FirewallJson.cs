using System.Text.Json.Nodes;

namespace KrautPortal.TestSupport;

/// <summary>Firewall specs as the API takes them (camelCase JSON of FirewallSpec), written the way a client would.</summary>
public static class FirewallJson
{
    /// <summary>An inbound (from upstream) rule; lists left empty mean "any".</summary>
    public static JsonObject Inbound(string action, params int[] ports) => Rule("inbound", action, "tcp", ports);

    public static JsonObject Rule(string direction, string action, string protocol, IEnumerable<int> ports, IEnumerable<string>? sources = null,
        string? destinationSelector = null, JsonObject? rateLimit = null, bool enabled = true, string? comment = null)
    {
        var rule = new JsonObject
        {
            ["id"] = Guid.NewGuid().ToString(),
            ["direction"] = direction,
            ["action"] = action,
            ["protocol"] = protocol,
            ["ports"] = new JsonArray(ports.Select(p => (JsonNode)p.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()),
            ["sources"] = new JsonArray((sources ?? []).Select(s => (JsonNode)s).ToArray()),
            ["enabled"] = enabled,
        };
        if (destinationSelector is not null) rule["destinationSelector"] = destinationSelector;
        if (rateLimit is not null) rule["rateLimit"] = rateLimit;
        if (comment is not null) rule["comment"] = comment;
        return rule;
    }

    public static JsonObject Forward(int upstreamPort, Guid vmId, int port) => new()
    {
        ["id"] = Guid.NewGuid().ToString(),
        ["protocol"] = "tcp",
        ["upstreamPort"] = upstreamPort,
        ["vmId"] = vmId.ToString(),
        ["port"] = port,
        ["enabled"] = true,
    };

    /// <summary>The spec of a firewall on <paramref name="networkId"/>: inbound deny and outbound allow by default.</summary>
    public static JsonObject Spec(Guid networkId, IEnumerable<JsonObject> rules, IEnumerable<JsonObject>? forwards = null) => new()
    {
        ["networkIds"] = new JsonArray(networkId.ToString()),
        ["defaults"] = new JsonObject { ["inbound"] = "deny", ["outbound"] = "allow" },
        ["rules"] = new JsonArray(rules.Select(r => (JsonNode)r.DeepClone()).ToArray()),
        ["forwards"] = new JsonArray((forwards ?? []).Select(f => (JsonNode)f.DeepClone()).ToArray()),
        ["description"] = "traffic tests",
    };
}
