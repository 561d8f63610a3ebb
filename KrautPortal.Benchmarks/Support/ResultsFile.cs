using System.Text;

namespace KrautPortal.Benchmarks.Support;

/// <summary>
/// benchmarks/RESULTS.md: one section per benchmark between markers, so running one benchmark replaces
/// only its own section and keeps the other's last results.
/// </summary>
public static class ResultsFile
{
    private const string Header = """
        # Benchmark results

        Written by `dotnet run -c Release --project KrautPortal.Benchmarks -- all` (see README.md). Each section
        was measured in one run, Kraut and its hand-made baseline side by side on the same machine; the
        machine is described in the section because sections may come from different runs.

        """;

    public static void Update(string name, string section)
    {
        var path = Path.Combine(RepoPaths.Root, "benchmarks", "RESULTS.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var text = File.Exists(path) ? File.ReadAllText(path) : Header;
        var begin = $"<!-- {name}:begin -->";
        var end = $"<!-- {name}:end -->";
        var block = new StringBuilder().AppendLine(begin).Append(section.TrimEnd()).AppendLine().Append(end).ToString();
        var from = text.IndexOf(begin, StringComparison.Ordinal);
        var to = text.IndexOf(end, StringComparison.Ordinal);
        text = from >= 0 && to > from
            ? text[..from] + block + text[(to + end.Length)..]
            : text.TrimEnd() + "\n\n" + block + "\n";
        File.WriteAllText(path, text);
        Console.WriteLine($"Updated {path} ({name})");
    }
}
