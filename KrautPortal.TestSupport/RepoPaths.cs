namespace KrautPortal.TestSupport;

/// <summary>Where the repository and its scripts are, seen from a test or benchmark binary.</summary>
public static class RepoPaths
{
    public static readonly string Root = FindRoot();

    public static string Script(string name) => Path.Combine(Root, "scripts", name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KrautCompute.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("KrautCompute.sln not found above " + AppContext.BaseDirectory);
    }
}
