using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace KrautPortal.Benchmarks.Support;

/// <summary>The facts a number needs next to it to mean anything: which machine, which versions, how busy it was.</summary>
public static class MachineInfo
{
    /// <param name="loadAtStart">/proc/loadavg when the benchmark began, before it added load of its own.</param>
    /// <param name="more">Further versions a benchmark depends on, listed before the load.</param>
    public static async Task<string> DescribeAsync(string loadAtStart, string? acceleration = null, string? sqlite = null,
        IEnumerable<(string Name, string Value)>? more = null)
    {
        var text = new StringBuilder();
        void Item(string name, string value) => text.Append("- ").Append(name).Append(": ").AppendLine(value);

        Item("Date (UTC)", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
        Item("CPU", CpuModel());
        Item("Cores", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture));
        Item("RAM", Ram());
        Item("OS / kernel", $"{Os()} / {Read("/proc/sys/kernel/osrelease")}");
        Item(".NET", RuntimeInformation.FrameworkDescription);
        var (libvirt, qemu) = await LibvirtAndQemuAsync();
        Item("libvirt", libvirt);
        Item("QEMU", qemu);
        if (sqlite is not null) Item("SQLite", sqlite);
        if (acceleration is not null) Item("Acceleration", acceleration);
        foreach (var (name, value) in more ?? []) Item(name, value);
        Item("Load average (1/5/15 min) at start / end", $"{loadAtStart} / {LoadAverage()} (other work shared the machine when these differ much from 0)");
        return text.ToString();
    }

    public static string LoadAverage() => string.Join(' ', Read("/proc/loadavg").Split(' ').Take(3));

    private static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";

    private static string Ram()
    {
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var kib = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return (kib / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " GiB";
    }

    private static string Os()
    {
        var pretty = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"')
            : null;
        var debian = File.Exists("/etc/debian_version") ? $" ({Read("/etc/debian_version")})" : "";
        return (pretty ?? "Linux") + debian;
    }

    private static async Task<(string Libvirt, string Qemu)> LibvirtAndQemuAsync()
    {
        // "virsh version" names the library, the daemon and the hypervisor as libvirtd sees them.
        try
        {
            var output = await Tool.TryAsync("virsh", ["-c", "qemu:///system", "version"]);
            string? Find(string prefix) => output.StdOut.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Trim();
            return (Find("Using library:") ?? "unknown", Find("Running hypervisor:") ?? "unknown");
        }
        catch (InvalidOperationException e) when (e.InnerException is System.ComponentModel.Win32Exception)
        {
            return ("not installed", "not installed");
        }
    }

    private static string Read(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "unknown";
}
