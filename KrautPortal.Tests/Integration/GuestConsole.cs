using System.Text.RegularExpressions;

namespace KrautPortal.Tests.Integration;

/// <summary>Reads what the test guest printed on its serial console (the file libvirt writes).</summary>
internal sealed record ReadyLine(string Iface, string Ip, string Mac);

internal static partial class GuestConsole
{
    public static string Read(string path)
    {
        if (!File.Exists(path)) return "";
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("\r", "", StringComparison.Ordinal);
    }

    /// <summary>The <c>KRAUT-GUEST-READY iface=… ip=… mac=…</c> lines, in order.</summary>
    public static IReadOnlyList<ReadyLine> ReadyLines(string path) =>
        ReadyPattern().Matches(Read(path)).Select(m => new ReadyLine(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value)).ToList();

    public static Task<ReadyLine> WaitForReadyAsync(string path, TimeSpan timeout, int count = 1) =>
        Support.Eventually.WaitForAsync(() => Task.FromResult(ReadyLines(path) is { } lines && lines.Count >= count ? lines[count - 1] : null),
            timeout, $"ready line #{count} on the guest's console");

    [GeneratedRegex(@"KRAUT-GUEST-READY iface=(\S+) ip=(\S+) mac=(\S+)")]
    private static partial Regex ReadyPattern();
}
