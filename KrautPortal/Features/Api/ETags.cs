using System.Globalization;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Api;

/// <summary>Versions travel as strong ETags: <c>"7"</c>.</summary>
public static class ETags
{
    public static string For(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>The version named by If-Match, or null when the header is absent (an unconditional write).</summary>
    public static long? ExpectedVersion(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(header) || header.Trim() == "*") return null;
        var value = header.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal)) value = value[2..];
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"'
            && long.TryParse(value[1..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            return version;
        }
        throw new BadRequestException("Invalid If-Match", $"If-Match must be a version in quotes, such as \"3\" (got {header}).");
    }
}
