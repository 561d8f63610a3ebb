namespace KrautPortal.Features.Auth;

public static class Bearer
{
    /// <summary>The token of <c>Authorization: Bearer &lt;token&gt;</c>, or null.</summary>
    public static string? From(string? header) =>
        header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
}
