using System.Globalization;

namespace KrautPortal.Hypervisor;

public static partial class QemuImg
{
    /// <summary>
    /// qemu-img convert -p -f qcow2 -O qcow2 &lt;source&gt; &lt;target&gt;: one standalone qcow2 with everything the guest sees
    /// through <paramref name="source"/> and its backing chain (a VM's overlay on its image, or a backup chain Kraut
    /// linked with <see cref="RebaseUnsafeAsync"/>). Only for files Kraut made itself, whose backing formats it wrote
    /// (-F) into their headers; the top's format is forced here. Reports 0–100 to <paramref name="progress"/>.
    /// </summary>
    public static async Task FlattenAsync(string source, string target, IProgress<double>? progress, CancellationToken ct)
    {
        RequireAbsolute(source);
        RequireAbsolute(target);
        await RunAsync(["convert", "-p", "-f", "qcow2", "-O", "qcow2", source, target], ToolLimits.None, line =>
        {
            var match = ProgressPattern().Match(line);
            if (match.Success && progress is not null) progress.Report(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
        }, ct);
    }
}
