using System.Globalization;

namespace KrautPortal.Features.Store;

/// <summary>What a display name may be. Names are free text for people; they never become paths or XML by hand.</summary>
public static class ResourceNames
{
    public const int MaxLength = 63;

    public static string? Problem(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return "A name is required.";
        if (name.Length > MaxLength) return $"A name may have at most {MaxLength} characters (this one has {name.Length}).";
        if (name.Trim() != name) return "A name may not start or end with spaces.";
        foreach (var c in name)
        {
            var category = char.GetUnicodeCategory(c);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned)
            {
                return $"A name may not contain control or invisible characters (found U+{(int)c:X4}).";
            }
        }
        return null;
    }
}
