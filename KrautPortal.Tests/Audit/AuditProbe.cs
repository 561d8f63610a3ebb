using System.Diagnostics;
using KrautPortal.Features.Audit;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Audit;

/// <summary>Reads the audit trail of a test portal straight from its database, and runs the verify command as a separate process.</summary>
internal static class AuditProbe
{
    public static async Task<List<AuditEntryRow>> EntriesAsync(KrautAppFactory app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
        return await db.AuditEntries.AsNoTracking().OrderBy(e => e.Seq).ToListAsync();
    }

    /// <summary>Waits until the writer has stored at least <paramref name="count"/> entries (it writes in the background).</summary>
    public static async Task<List<AuditEntryRow>> WaitForAsync(KrautAppFactory app, int count)
    {
        List<AuditEntryRow> entries = [];
        await Eventually.WaitUntilAsync(async () => (entries = await EntriesAsync(app)).Count >= count, TimeSpan.FromSeconds(10), $"{count} audit entries");
        return entries;
    }

    public static async Task<T> WaitForAsync<T>(KrautAppFactory app, Func<List<AuditEntryRow>, T?> find, string what) where T : class =>
        await Eventually.WaitForAsync(async () => find(await EntriesAsync(app)), TimeSpan.FromSeconds(10), what);

    /// <summary><c>dotnet KrautPortal.dll audit verify --data DIR</c>: exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> VerifyCommandAsync(string dataDirectory)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "KrautPortal.dll"), "audit", "verify", "--data", dataDirectory })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }
}
