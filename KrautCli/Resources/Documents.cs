using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Output;

namespace KrautCli.Resources;

/// <summary>What the user hands in: <c>-f file.json|yaml</c> (or <c>-</c> for standard input) and <c>--set a.b=c</c>.</summary>
public static class Documents
{
    public static JsonObject Read(string file)
    {
        string text;
        try
        {
            text = file == "-" ? Console.In.ReadToEnd() : File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"Cannot read {file}: {e.Message}");
        }
        JsonNode? node;
        if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                node = JsonNode.Parse(text);
            }
            catch (JsonException e)
            {
                throw CliException.Usage($"{file} is not valid JSON: {e.Message}");
            }
        }
        else
        {
            node = Yaml.Parse(text, file);
        }
        return node as JsonObject ?? throw CliException.Usage($"{file} must hold one object (name, metadata, spec).");
    }

    /// <summary>
    /// A JSON merge patch from <c>path=value</c> pairs: <c>spec.memoryMiB=512</c>, <c>metadata.env=prod</c>,
    /// <c>metadata.old=null</c> (removes). A value that reads as JSON (number, true, null, [..], {..}) is taken as such,
    /// anything else as text; quote it (<c>'"512"'</c>) to force text.
    /// </summary>
    public static JsonObject PatchFrom(IEnumerable<string> assignments)
    {
        var patch = new JsonObject();
        foreach (var assignment in assignments)
        {
            var equals = assignment.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) throw CliException.Usage($"--set {assignment}: write it as path=value, e.g. --set spec.memoryMiB=1024.");
            var path = assignment[..equals].Split('.');
            var target = patch;
            foreach (var part in path[..^1])
            {
                if (target[part] is not JsonObject child)
                {
                    child = new JsonObject();
                    target[part] = child;
                }
                target = child;
            }
            target[path[^1]] = Value(assignment[(equals + 1)..]);
        }
        return patch;
    }

    private static JsonNode? Value(string text)
    {
        if (text.Length == 0) return JsonValue.Create("");
        if (text is "null") return null;
        if (text[0] is '"' or '[' or '{' || text is "true" or "false"
            || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            try
            {
                return JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                // not JSON after all: text
            }
        }
        return JsonValue.Create(text);
    }
}
