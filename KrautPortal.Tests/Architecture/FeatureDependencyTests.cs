using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Architecture;

/// <summary>
/// Keeps the dependency direction of docs/architecture.md true: no two feature folders reference each other, and
/// every reference points down the layers of <see cref="FeatureLayers"/>. Reads the sources, so it needs no build
/// of anything but itself and names the file that broke the rule.
/// </summary>
public sealed class FeatureDependencyTests
{
    private static readonly string Project = Path.Combine(RepoPaths.Root, "KrautPortal");

    [Fact]
    public void No_two_feature_folders_reference_each_other()
    {
        var cycles = FeatureLayers.Cycles(FeatureReferences.Scan(Project));
        Assert.True(cycles.Count == 0, "Feature folders that reference each other:\n" + string.Join('\n', cycles));
    }

    [Fact]
    public void Every_reference_between_feature_folders_points_down_the_layers()
    {
        var problems = FeatureLayers.AgainstLayers(FeatureReferences.Scan(Project));
        Assert.True(problems.Count == 0, "References against the layering (docs/architecture.md):\n" + string.Join('\n', problems));
    }

    [Fact]
    public void Every_file_declares_a_namespace_of_its_own_feature_folder()
    {
        var misplaced = FeatureReferences.MisplacedNamespaces(Project);
        Assert.True(misplaced.Count == 0, "Files whose namespace belongs to another folder (the reference check would not see their users):\n"
            + string.Join('\n', misplaced));
    }

    [Fact]
    public void Every_feature_folder_has_a_layer()
    {
        var folders = Directory.GetDirectories(Path.Combine(Project, "Features")).Select(Path.GetFileName).OfType<string>();
        var missing = FeatureLayers.WithoutLayer(folders);
        Assert.True(missing.Count == 0, $"Feature folders without a layer in {nameof(FeatureLayers)}.{nameof(FeatureLayers.Layers)}: {string.Join(", ", missing)}");
    }

    /// <summary>
    /// Other features read a kind through <c>KindReader</c> or <c>ResourceStore</c>, typed by the kind's spec, never
    /// by the resources table's layout (a kind string and JSON of their own): that layout is the store's to change.
    /// </summary>
    [Fact]
    public void Only_the_store_reads_the_resources_table()
    {
        var features = Path.Combine(Project, "Features");
        var readers = Directory.EnumerateFiles(features, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".razor", StringComparison.Ordinal))
            .Where(f => !Path.GetRelativePath(features, f).StartsWith("Store" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Where(f => System.Text.RegularExpressions.Regex.IsMatch(File.ReadAllText(f), @"\b(db|Db|context)\.Resources\b"))
            .Select(f => Path.GetRelativePath(Project, f)).ToList();
        Assert.True(readers.Count == 0, "Files outside Features/Store that query db.Resources (use KindReader): " + string.Join(", ", readers));
    }
}
