using System.Globalization;

namespace KrautPortal.Features.Images;

public static class Sizes
{
    public static string Describe(long? bytes)
    {
        if (bytes is not { } b) return "—";
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = b;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString(unit == 0 ? "0" : "0.#", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
