namespace KrautPortal.Benchmarks.Support;

/// <summary>
/// The built portal as every benchmark runs it: Production settings (what is measured is what users run), the VM trace
/// on (its spans are the create benchmark's phases), and a god token named "bench", which its audit lines name.
/// </summary>
public static class BenchPortal
{
    /// <param name="environment">Environment variables for the process (the .NET runtime's own settings).</param>
    public static PortalProcess Create(string host = TestHosts.System, string? seedImage = SeedImages.Guest,
        IReadOnlyDictionary<string, string?>? settings = null, IReadOnlyDictionary<string, string>? environment = null) =>
        new(host, seedImage, settings)
        {
            AspNetEnvironment = "Production",
            Trace = true,
            GodTokenName = "bench",
            EnvironmentVariables = environment ?? new Dictionary<string, string>(),
        };
}
