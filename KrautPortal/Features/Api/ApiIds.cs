using KrautPortal.Features.Store;

namespace KrautPortal.Features.Api;

public static class ApiIds
{
    public static Guid Parse(string raw, string what = "id") =>
        Guid.TryParse(raw, out var id) ? id : throw new BadRequestException("Invalid id", $"'{raw}' is not a valid {what}; ids look like 0193b2c4-5d6e-7f80-9a1b-2c3d4e5f6071.");
}
