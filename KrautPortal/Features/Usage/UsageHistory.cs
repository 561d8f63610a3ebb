namespace KrautPortal.Features.Usage;

/// <summary>
/// <see cref="UsageQueries"/> for pages: each call in a scope (and DbContext) of its own, because a page reloads its
/// charts when a sample pass ends, which may overlap with the circuit's other work on the circuit's DbContext.
/// </summary>
public sealed class UsageHistory(IServiceScopeFactory scopes)
{
    public Task<IReadOnlyList<UsagePoint>> VmSeriesAsync(Guid vmId, UsageRange range, CancellationToken ct) =>
        WithQueriesAsync(q => q.VmSeriesAsync(vmId, range, ct));

    public Task<IReadOnlyList<UsageTotalPoint>> TotalsAsync(UsageRange range, IReadOnlyList<string>? owners, CancellationToken ct) =>
        WithQueriesAsync(q => q.TotalsAsync(range, owners, ct));

    public Task<IReadOnlyList<ShowbackLine>> ShowbackAsync(DateTime from, DateTime to, IReadOnlyList<string>? owners, CancellationToken ct) =>
        WithQueriesAsync(q => q.ShowbackAsync(from, to, owners, ct));

    private async Task<T> WithQueriesAsync<T>(Func<UsageQueries, Task<T>> query)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<UsageQueries>());
    }
}
