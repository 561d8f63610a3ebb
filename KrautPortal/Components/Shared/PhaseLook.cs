using System.Text.RegularExpressions;
using MudBlazor;

namespace KrautPortal.Components.Shared;

/// <summary>
/// How a phase shows as a chip: words, colour, icon, and an optional sentence on hover. <see cref="For"/> is the rule
/// every kind's phase enum gets (VMs, images, networks, whatever comes next), by the phase's name; a kind with more to
/// say (an image's progress and warnings) starts from it and changes what it needs.
/// </summary>
public sealed partial record PhaseLook(string Text, Color Color, string Icon, string TestId, string? Hover = null)
{
    public static PhaseLook For(Enum phase)
    {
        ArgumentNullException.ThrowIfNull(phase);
        var name = phase.ToString();
        var (color, icon) = name switch
        {
            "Running" => (Color.Success, Icons.Material.Filled.PlayCircle),
            "Ready" or "Active" => (Color.Success, Icons.Material.Filled.CheckCircle),
            "Stopped" => (Color.Default, Icons.Material.Filled.StopCircle),
            "AwaitingContent" => (Color.Default, Icons.Material.Filled.HourglassEmpty),
            "Failed" or "Crashed" or "Missing" => (Color.Error, Icons.Material.Filled.Error),
            "Paused" => (Color.Warning, Icons.Material.Filled.PauseCircle),
            "Uploading" => (Color.Info, Icons.Material.Filled.CloudUpload),
            "Downloading" => (Color.Info, Icons.Material.Filled.CloudDownload),
            // Everything else is on its way somewhere: pending, creating, converting, deleting…
            _ => (Color.Info, Icons.Material.Filled.HourglassTop),
        };
        return new PhaseLook(Words(name), color, icon, TestIdOf(phase.GetType()));
    }

    /// <summary>"AwaitingContent" → "awaiting content".</summary>
    private static string Words(string name) => WordStart().Replace(name, " $1").ToLowerInvariant();

    /// <summary>VmPhase → "vm-phase", ImagePhase → "image-phase": what tests and scripts find the chip by.</summary>
    private static string TestIdOf(Type type) => Words(type.Name.Replace("Phase", "", StringComparison.Ordinal)).Replace(' ', '-') + "-phase";

    [GeneratedRegex("(?<=[a-z])([A-Z])")]
    private static partial Regex WordStart();
}
