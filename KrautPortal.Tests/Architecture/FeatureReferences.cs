using System.Text.RegularExpressions;

namespace KrautPortal.Tests.Architecture;

/// <summary>One place where a file of feature folder <see cref="From"/> names feature folder <see cref="To"/>.</summary>
public sealed record FeatureReference(string From, string To, string File, string How)
{
    public override string ToString() => $"{File} ({How})";
}

/// <summary>
/// Which feature folders (<c>Features/&lt;X&gt;</c>) the sources of each feature folder name, read as text: a simple
/// namespace-reference check, no compiler. A file names folder X when it has <c>using KrautPortal.Features.X…</c>
/// (<c>@using</c> in razor), writes <c>KrautPortal.Features.X.…</c> or <c>Features.X.…</c> anywhere, or writes
/// <c>X.SomeType</c> for a type or sub-namespace declared in X (C# finds <c>X</c> through the enclosing
/// <c>KrautPortal.Features</c> namespace). A razor file also gets the usings of every <c>_Imports.razor</c> in its
/// folder and the folders above it, up to the project's root, and every file gets the project's global usings.
/// Comments count too: a <c>&lt;see cref&gt;</c> to another feature is a reference, and text can only over-report.
/// </summary>
public static partial class FeatureReferences
{
    /// <summary>Every reference between two different feature folders under <paramref name="projectRoot"/> (the folder of KrautPortal.csproj).</summary>
    public static IReadOnlyList<FeatureReference> Scan(string projectRoot)
    {
        var featuresRoot = Path.Combine(projectRoot, "Features");
        var folders = Directory.GetDirectories(featuresRoot).Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var declared = folders.ToDictionary(f => f, f => DeclaredNames(Path.Combine(featuresRoot, f)), StringComparer.Ordinal);
        var global = GlobalUsings(projectRoot);
        var references = new List<FeatureReference>();
        foreach (var folder in folders.Order(StringComparer.Ordinal))
        {
            foreach (var path in SourceFiles(Path.Combine(featuresRoot, folder)))
            {
                var file = Relative(projectRoot, path);
                var found = new List<(string To, string How)>();
                found.AddRange(Named(File.ReadAllText(path), folders, declared).Select(r => (r.To, r.How)));
                if (path.EndsWith(".razor", StringComparison.Ordinal))
                {
                    foreach (var imports in ImportsAbove(projectRoot, path))
                        found.AddRange(Usings(File.ReadAllText(imports), folders).Select(to => (to, $"@using in {Relative(projectRoot, imports)}")));
                }
                found.AddRange(global.SelectMany(g => Usings(g.Text, folders).Select(to => (to, $"global using in {g.File}"))));
                // One reference per file and folder, the most direct way first (its own text, then imports, then global usings).
                references.AddRange(found.Where(r => r.To != folder).DistinctBy(r => r.To).Select(r => new FeatureReference(folder, r.To, file, r.How)));
            }
        }
        return references;
    }

    /// <summary>
    /// Files of a feature folder that declare a namespace outside it (<c>namespace</c> or razor's <c>@namespace</c>):
    /// a type placed so would be used by its namespace's feature without any reference this check can see.
    /// </summary>
    public static IReadOnlyList<string> MisplacedNamespaces(string projectRoot)
    {
        var featuresRoot = Path.Combine(projectRoot, "Features");
        var misplaced = new List<string>();
        foreach (var folder in Directory.GetDirectories(featuresRoot).Order(StringComparer.Ordinal))
        {
            var own = "KrautPortal.Features." + Path.GetFileName(folder);
            foreach (var path in SourceFiles(folder))
            {
                foreach (Match m in NamespaceDeclaration().Matches(File.ReadAllText(path)))
                {
                    var ns = m.Groups["ns"].Value;
                    if (ns != own && !ns.StartsWith(own + ".", StringComparison.Ordinal)) misplaced.Add($"{Relative(projectRoot, path)} declares {ns}");
                }
            }
        }
        return misplaced;
    }

    /// <summary>The folders a piece of source names, with how; <paramref name="declared"/> holds each folder's type and sub-namespace names.</summary>
    public static IEnumerable<(string To, string How)> Named(string text, IReadOnlySet<string> folders, IReadOnlyDictionary<string, HashSet<string>> declared)
    {
        foreach (var to in Usings(text, folders)) yield return (to, "using");
        foreach (Match m in Qualified().Matches(text))
        {
            if (folders.Contains(m.Groups["folder"].Value)) yield return (m.Groups["folder"].Value, $"names {m.Value.Trim()}");
        }
        foreach (Match m in PartlyQualified().Matches(text))
        {
            var folder = m.Groups["folder"].Value;
            if (folders.Contains(folder) && declared.TryGetValue(folder, out var names) && names.Contains(m.Groups["name"].Value))
                yield return (folder, $"names {m.Value}");
        }
    }

    /// <summary>The folders named by the using directives (C# or razor) in <paramref name="text"/>.</summary>
    public static IEnumerable<string> Usings(string text, IReadOnlySet<string> folders) =>
        UsingDirective().Matches(text).Select(m => m.Groups["folder"].Value).Where(folders.Contains).Distinct();

    /// <summary>The types and sub-namespaces a feature folder declares: what a partly qualified name could point at.</summary>
    public static HashSet<string> DeclaredNames(string folder)
    {
        var names = Directory.GetDirectories(folder, "*", SearchOption.AllDirectories).Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var path in SourceFiles(folder))
        {
            if (path.EndsWith(".razor", StringComparison.Ordinal)) names.Add(Path.GetFileNameWithoutExtension(path));
            else names.UnionWith(TypeDeclaration().Matches(File.ReadAllText(path)).Select(m => m.Groups["name"].Value));
        }
        return names;
    }

    private static IEnumerable<string> SourceFiles(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(p => p.EndsWith(".cs", StringComparison.Ordinal) || p.EndsWith(".razor", StringComparison.Ordinal))
            .Where(p => !p.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal);

    /// <summary>The <c>_Imports.razor</c> files that apply to a razor file: in its own folder and every folder above it up to the project root.</summary>
    private static IEnumerable<string> ImportsAbove(string projectRoot, string razorFile)
    {
        var root = Path.GetFullPath(projectRoot).TrimEnd(Path.DirectorySeparatorChar);
        for (var dir = Path.GetDirectoryName(Path.GetFullPath(razorFile)); dir is not null && dir.Length >= root.Length; dir = Path.GetDirectoryName(dir))
        {
            var imports = Path.Combine(dir, "_Imports.razor");
            if (File.Exists(imports) && imports != Path.GetFullPath(razorFile)) yield return imports;
        }
    }

    /// <summary>Global usings apply to every file of the project: from any .cs file, and from the project file's Using items.</summary>
    private static List<(string File, string Text)> GlobalUsings(string projectRoot)
    {
        var result = new List<(string File, string Text)>();
        foreach (var path in Directory.EnumerateFiles(projectRoot, "*.cs", SearchOption.AllDirectories)
                     .Where(p => !p.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj")))
        {
            var lines = GlobalUsing().Matches(File.ReadAllText(path)).Select(m => "using " + m.Groups["ns"].Value + ";");
            result.Add((Relative(projectRoot, path), string.Join('\n', lines)));
        }
        foreach (var project in Directory.EnumerateFiles(projectRoot, "*.csproj"))
        {
            var lines = ProjectUsing().Matches(File.ReadAllText(project)).Select(m => "using " + m.Groups["ns"].Value + ";");
            result.Add((Path.GetFileName(project), string.Join('\n', lines)));
        }
        return result.Where(r => r.Text.Length > 0).ToList();
    }

    private static string Relative(string projectRoot, string path) => Path.GetRelativePath(projectRoot, path).Replace('\\', '/');

    // using X; using static X; using A = X; @using X — with or without "global".
    [GeneratedRegex(@"^\s*@?(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?(?:global::)?KrautPortal\.Features\.(?<folder>\w+)", RegexOptions.Multiline)]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"(?<![\w.])(?:KrautPortal\.)?Features\.(?<folder>\w+)\b")]
    private static partial Regex Qualified();

    [GeneratedRegex(@"(?<![\w.])(?<folder>[A-Z]\w*)\.(?<name>[A-Z]\w*)")]
    private static partial Regex PartlyQualified();

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum|delegate\s+\S+)\s+(?<name>[A-Z]\w*)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"^\s*@?namespace\s+(?<ns>[\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    [GeneratedRegex(@"^\s*global\s+using\s+(?:static\s+)?(?:\w+\s*=\s*)?(?<ns>[\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex GlobalUsing();

    [GeneratedRegex(@"<Using\s+Include=""(?<ns>[\w.]+)""")]
    private static partial Regex ProjectUsing();
}
