namespace KrautPortal.Features.Web;

/// <summary>
/// Refuses request paths that the server would normalise into another path: a <c>.</c> or <c>..</c> segment, encoded
/// or not (<c>DELETE /api/v1/vms/{id}/nics/%2e%2e</c> became <c>DELETE /api/v1/vms/{id}</c>), and an encoded slash or
/// backslash. Browsers resolve such segments before they send, so only hand-made requests carry them.
/// </summary>
public static class StrictPaths
{
    /// <summary>Why the request target (as sent, before any decoding) is refused; null when it is plain.</summary>
    public static string? Problem(string rawTarget)
    {
        var path = rawTarget.Split('?', 2)[0];
        // Absolute form (GET http://host/path HTTP/1.1): judge the path after the authority.
        if (!path.StartsWith('/') && path.IndexOf("://", StringComparison.Ordinal) is var scheme and >= 0)
        {
            var slash = path.IndexOf('/', scheme + 3);
            path = slash < 0 ? "/" : path[slash..];
        }
        foreach (var segment in path.Split('/'))
        {
            var decoded = Uri.UnescapeDataString(segment);
            if (decoded is "." or "..")
                return $"The path contains the segment '{segment}'; ids and names in paths cannot be '.' or '..'.";
            if (decoded.Contains('/') || decoded.Contains('\\'))
                return $"The path segment '{segment}' contains an encoded or literal slash or backslash; ids and names in paths cannot.";
        }
        return null;
    }
}
