using MudBlazor;

namespace KrautPortal.Components.Layout;

public static class KrautTheme
{
    /// <summary>System fonts only: the portal must not fetch anything from the internet.</summary>
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight { Primary = "#2e7d32", Secondary = "#6d4c41", AppbarBackground = "#1b5e20" },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"] },
        },
    };
}
