using System.Text.Json;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Resources;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace KrautCli.Output;

/// <summary>How results are shown: <c>-o</c>, <c>-c</c>, <c>--no-headers</c>.</summary>
public sealed record OutputOptions(string Format, string? Columns, bool NoHeaders)
{
    public static readonly string[] Formats = ["table", "wide", "json", "yaml", "name"];
}

/// <summary>Prints objects and reports as a table for people, JSON or YAML for scripts, or names one per line.</summary>
public sealed class Printer(TextWriter output, OutputOptions options)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public TextWriter Out => output;

    public void List(KindDef kind, IReadOnlyList<JsonNode?> items)
    {
        switch (options.Format)
        {
            case "json":
                output.WriteLine(new JsonArray(items.Select(i => i?.DeepClone()).ToArray()).ToJsonString(Indented));
                break;
            case "yaml":
                output.Write(Yaml.From(new JsonArray(items.Select(i => i?.DeepClone()).ToArray())));
                break;
            default:
                Rows(kind, items);
                break;
        }
    }

    public void One(KindDef kind, JsonNode? item)
    {
        switch (options.Format)
        {
            case "json":
                output.WriteLine(item?.ToJsonString(Indented));
                break;
            case "yaml":
                output.Write(Yaml.From(item));
                break;
            default:
                Rows(kind, [item]);
                break;
        }
    }

    /// <summary>Any JSON answer (history, diff, reports): JSON/YAML as is, else a table of the given columns.</summary>
    public void Document(JsonNode? document, IReadOnlyList<Column> columns, IEnumerable<JsonNode?> rows)
    {
        switch (options.Format)
        {
            case "json":
                output.WriteLine(document?.ToJsonString(Indented));
                break;
            case "yaml":
                output.Write(Yaml.From(document));
                break;
            default:
                Table(Choose(columns), rows);
                break;
        }
    }

    private void Rows(KindDef kind, IReadOnlyList<JsonNode?> items)
    {
        if (options.Format == "name")
        {
            foreach (var item in items) output.WriteLine((string?)item?["name"]);
            return;
        }
        Table(Choose(options.Format == "wide" ? kind.WideColumns : kind.Columns, kind.WideColumns), items);
    }

    /// <summary><c>-c</c>: known headers by name (any case), anything else as a JSON path, headed by its last part.</summary>
    private IReadOnlyList<Column> Choose(IReadOnlyList<Column> defaults, IReadOnlyList<Column>? known = null)
    {
        if (string.IsNullOrWhiteSpace(options.Columns)) return defaults;
        return options.Columns.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(c => (known ?? defaults).FirstOrDefault(k => string.Equals(k.Header, c, StringComparison.OrdinalIgnoreCase))
                ?? new Column(c.Split('.')[^1].ToUpperInvariant(), c))
            .ToList();
    }

    private void Table(IReadOnlyList<Column> columns, IEnumerable<JsonNode?> rows)
    {
        var table = new Table().Border(TableBorder.None);
        if (options.NoHeaders) table.HideHeaders();
        foreach (var column in columns) table.AddColumn(new TableColumn(new Text(column.Header)) { NoWrap = true, Padding = new Padding(0, 0, 2, 0) });
        foreach (var row in rows)
            table.AddRow(columns.Select(c => (IRenderable)new Text(JsonPath.Cell(JsonPath.Get(row, c.Path))).Overflow(Overflow.Ellipsis)).ToArray());
        // Rendered aside first: Spectre pads every cell to its column's width, and a line's trailing blanks help no one.
        using var rendered = new StringWriter();
        Console(rendered).Write(table);
        var text = rendered.ToString().TrimEnd();
        if (text.Length == 0) return;
        foreach (var line in text.Split('\n')) output.WriteLine(line.TrimEnd());
    }

    /// <summary>
    /// A Spectre console on <paramref name="writer"/>: as wide as the terminal when there is one, else as wide as the
    /// lines need (a pipe must not cut values).
    /// </summary>
    public static IAnsiConsole Console(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
        });
        console.Profile.Width = TerminalWidth() ?? 4096;
        return console;
    }

    private static int? TerminalWidth()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0) return columns;
        if (System.Console.IsOutputRedirected) return null;
        try
        {
            return System.Console.WindowWidth > 0 ? System.Console.WindowWidth : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static OutputOptions Validate(string format, string? columns, bool noHeaders) =>
        OutputOptions.Formats.Contains(format)
            ? new OutputOptions(format, columns, noHeaders)
            : throw CliException.Usage($"'-o {format}' is not an output format; use {string.Join(", ", OutputOptions.Formats)}.");
}
