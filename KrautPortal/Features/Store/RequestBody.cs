using System.Text.Json;
using System.Text.Json.Nodes;

namespace KrautPortal.Features.Store;

/// <summary>Turns a request's JSON into typed input, naming the exact field when something is wrong.</summary>
public static class RequestBody
{
    /// <summary>Fields a client may send back unchanged from a GET; they are Kraut's, so they are ignored.</summary>
    private static readonly HashSet<string> ReadOnlyFields =
        ["id", "kind", "owner", "status", "version", "createdAt", "updatedAt", "deletionRequestedAt"];

    public static ResourceInput<TSpec> ToInput<TSpec>(JsonObject body)
    {
        var errors = new ValidationErrors();
        foreach (var (key, value) in body)
        {
            if (key == "system") CheckSystem(value, errors);
            else if (key is not ("name" or "metadata" or "spec") && !ReadOnlyFields.Contains(key))
                errors.Add(key, $"'{key}' is not a field here; expected name, metadata and spec.");
        }

        string? name = null;
        if (body["name"] is JsonValue nameValue && nameValue.TryGetValue<string>(out var n)) name = n;
        else errors.Add("name", body.ContainsKey("name") ? "The name must be a string." : "A name is required.");

        var metadata = new JsonObject();
        switch (body["metadata"])
        {
            case null: break;
            case JsonObject m: metadata = (JsonObject)m.DeepClone(); break;
            default: errors.Add("metadata", "Metadata must be a JSON object (any keys, any values)."); break;
        }

        TSpec? spec = default;
        if (body["spec"] is not JsonObject specNode)
        {
            errors.Add("spec", body.ContainsKey("spec") ? "The spec must be a JSON object." : "A spec is required.");
        }
        else
        {
            try
            {
                spec = ReadSpec<TSpec>(specNode);
            }
            catch (ValidationException e)
            {
                foreach (var (field, messages) in e.Errors)
                    foreach (var m in messages) errors.Add(field, m);
            }
        }

        errors.ThrowIfAny();
        // "owner" also comes back from a GET; as a string it names who should own a new object.
        var owner = body["owner"] is JsonValue o && o.TryGetValue<string>(out var ownerName) ? ownerName : null;
        return new ResourceInput<TSpec>(name!, metadata, spec!, owner);
    }

    /// <summary>
    /// "system" marks objects Kraut keeps on an owner's behalf (a network's router VM). It is Kraut's to set: nobody makes
    /// one through the API, nor turns an object into one (create, PUT, PATCH). Only false, what every other object is, passes.
    /// </summary>
    private static void CheckSystem(JsonNode? value, ValidationErrors errors)
    {
        if (value is JsonValue v && v.TryGetValue<bool>(out var system) && !system) return;
        errors.Add("system", "Only Kraut makes system objects (such as a network's router VM); leave 'system' out.");
    }

    public static TSpec ReadSpec<TSpec>(JsonNode node)
    {
        try
        {
            return node.Deserialize<TSpec>(KrautJson.Options) ?? throw new ValidationException("spec", "The spec must not be null.");
        }
        catch (JsonException e)
        {
            var path = e.Path is { Length: > 1 } p ? "spec" + p.TrimStart('$') : "spec";
            throw new ValidationException(path, Explain(e));
        }
    }

    /// <summary>System.Text.Json's messages mention .NET types; say it in the API's terms instead.</summary>
    private static string Explain(JsonException e)
    {
        var message = e.Message;
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal)) return "This field is not known.";
        if (message.Contains("missing required properties", StringComparison.Ordinal))
        {
            var start = message.IndexOf("including: ", StringComparison.Ordinal);
            return start >= 0 ? "Required fields are missing: " + message[(start + 11)..].TrimEnd('.') + "." : "Required fields are missing.";
        }
        if (message.Contains("could not be converted", StringComparison.Ordinal)) return "This value has the wrong type or is not one of the allowed values.";
        if (message.Contains("null", StringComparison.OrdinalIgnoreCase)) return "This field may not be null.";
        return "This value is not valid here.";
    }
}
