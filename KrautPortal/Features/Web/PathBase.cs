using System.Text.RegularExpressions;

namespace KrautPortal.Features.Web;

/// <summary>
/// The prefix the portal is published under behind a reverse proxy (<c>Web:PathBase</c>, e.g. <c>/kraut</c>). A request
/// under it sees it as <c>Request.PathBase</c>, and every link, redirect and cookie the portal makes carries it; a request
/// without it (straight to the portal's port) still works at the root.
/// </summary>
public static partial class PathBase
{
    public const string Key = "Web:PathBase";

    /// <summary>The configured prefix; empty when none. A malformed one stops the start-up with a sentence naming the key.</summary>
    public static PathString Read(IConfiguration config)
    {
        var value = config[Key];
        if (string.IsNullOrEmpty(value)) return PathString.Empty;
        return Problem(value) is { } problem ? throw new InvalidOperationException($"{Key} '{value}': {problem}") : new PathString(value);
    }

    /// <summary>Why <paramref name="value"/> cannot be a path base, or null when it can.</summary>
    public static string? Problem(string value)
    {
        if (!value.StartsWith('/')) return "it must start with '/', as in /kraut.";
        if (value == "/") return "'/' is the root, which needs no path base; leave the setting out.";
        if (value.EndsWith('/')) return $"it must not end with '/' (write {value.TrimEnd('/')}).";
        if (value.Contains("//", StringComparison.Ordinal)) return "it contains an empty segment ('//').";
        if (value.Split('/').Any(s => s is "." or "..")) return "it contains a '.' or '..' segment.";
        if (!Segments().IsMatch(value))
            return "only letters, digits and - . _ ~ may appear between the slashes (no spaces, '?', '#', '%' or other characters).";
        return null;
    }

    /// <summary>
    /// The API's handlers name what they made or accepted as <c>/api/v1/...</c>, a path of the app; a client behind the
    /// proxy must be sent to it under the path base. Pages' redirects say <c>~/</c> themselves and need nothing here.
    /// </summary>
    public static void PrefixApiLocation(HttpContext http)
    {
        var location = http.Response.Headers.Location.ToString();
        if (http.Request.PathBase.HasValue && location.StartsWith("/api/", StringComparison.Ordinal))
            http.Response.Headers.Location = http.Request.PathBase + location;
    }

    [GeneratedRegex("^(/[A-Za-z0-9._~-]+)+$")]
    private static partial Regex Segments();
}
