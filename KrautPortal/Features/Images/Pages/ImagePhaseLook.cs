using KrautPortal.Components.Shared;
using MudBlazor;

namespace KrautPortal.Features.Images.Pages;

/// <summary>
/// An image's phase chip: the common look, with its progress while it moves; a failed image's reason, or a ready
/// one's warnings, show on hover.
/// </summary>
public static class ImagePhaseLook
{
    public static PhaseLook For(ImageStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var warned = status.Phase == ImagePhase.Ready && status.Warnings.Count > 0;
        var look = PhaseLook.For(status.Phase) with
        {
            Text = Transfers.PhaseText(status) + (warned ? " (with warnings)" : ""),
            Hover = status.Phase == ImagePhase.Failed ? status.Message : warned ? string.Join(" ", status.Warnings) : null,
        };
        return warned ? look with { Color = Color.Warning, Icon = Icons.Material.Filled.Warning } : look;
    }
}
