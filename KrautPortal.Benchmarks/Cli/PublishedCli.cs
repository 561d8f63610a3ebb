using KrautPortal.Benchmarks.Support;

namespace KrautPortal.Benchmarks.Cli;

/// <summary>The CLI as the README installs it (dotnet publish, ReadyToRun), in a temporary directory removed on dispose.</summary>
public sealed class PublishedCli : IDisposable
{
    private readonly string _directory;

    private PublishedCli(string directory) => _directory = directory;

    public string Kraut => Path.Combine(_directory, "kraut");

    /// <summary>The build output of the same project (JIT, no ReadyToRun): what a developer runs.</summary>
    public static string BuildOutput => Path.Combine(RepoPaths.Root, "KrautCli", "bin", "Release", "net10.0", "kraut");

    public static async Task<PublishedCli> PublishAsync()
    {
        var directory = Directory.CreateTempSubdirectory("kraut-bench-cli-").FullName;
        try
        {
            await Tool.RunAsync("dotnet", "publish", Path.Combine(RepoPaths.Root, "KrautCli"), "-c", "Release", "--use-current-runtime", "--nologo", "-v", "quiet", "-o", directory);
            return new PublishedCli(directory);
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
