using System.Buffers;
using System.Globalization;
using System.Text;

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
        // By Unicode scalar, not UTF-16 unit: an emoji is a surrogate pair and a visible character; only a lone half is broken.
        for (var i = 0; i < name.Length; )
        {
            if (Rune.DecodeFromUtf16(name.AsSpan(i), out var rune, out var used) != OperationStatus.Done)
                return $"A name may not contain broken characters (found a lone U+{(int)name[i]:X4}).";
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.OtherNotAssigned)
            {
                return $"A name may not contain control or invisible characters (found U+{rune.Value:X4}).";
            }
            i += used;
        }
        return null;
    }
}
