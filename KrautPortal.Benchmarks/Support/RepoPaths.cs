namespace KrautPortal.Benchmarks.Support;

/// <summary>Where the repository is, seen from the benchmark binary.</summary>
public static class RepoPaths
{
    public static readonly string Root = FindRoot();

    public static string Script(string name) => Path.Combine(Root, "scripts", name);

    public static string ResultsFile => Path.Combine(Root, "benchmarks", "RESULTS.md");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KrautCompute.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("KrautCompute.sln not found above " + AppContext.BaseDirectory);
    }
}
