using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace KrautPortal.Features.Store;

/// <summary>The one JSON shape Kraut stores and serves: camelCase, enums as camelCase strings, unknown fields refused.</summary>
public static class KrautJson
{
    /// <summary>
    /// For what Kraut stores (and reads back): characters are written as they are, not escaped for HTML, so the database
    /// holds <c>a+b</c>, not <c>a\u002Bb</c>. Nothing here is written into a page unencoded; HTTP answers keep the default encoder.
    /// </summary>
    public static readonly JsonSerializerOptions Options =
        Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.RespectNullableAnnotations = true;
        options.MaxDepth = 32;
        if (!options.Converters.OfType<JsonStringEnumConverter>().Any())
        {
            options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
        }
        return options;
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException("null is not a valid value here");

    public static JsonObject ParseObject(string json) =>
        JsonNode.Parse(json) as JsonObject ?? throw new JsonException("expected a JSON object");

    /// <summary>A document as Kraut stores it.</summary>
    public static string Write(JsonNode node) => node.ToJsonString(Options);

    public static JsonNode ToNode<T>(T value) => JsonSerializer.SerializeToNode(value, Options) ?? new JsonObject();
}
