using KrautPortal.Features.Store;

namespace KrautPortal.Features.Api;

public static class ApiIds
{
    /// <summary>
    /// An id as Kraut writes it (36 characters, hyphens, any case); no braces, parentheses, missing hyphens or spaces
    /// (which the parser would otherwise trim),
    /// so one object has one spelling in a path.
    /// </summary>
    public static Guid Parse(string raw, string what = "id") =>
        raw.Length == 36 && Guid.TryParseExact(raw, "D", out var id) ? id : throw new BadRequestException("Invalid id", $"'{raw}' is not a valid {what}; ids look like 0193b2c4-5d6e-7f80-9a1b-2c3d4e5f6071.");
}
