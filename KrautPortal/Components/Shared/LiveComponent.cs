using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Components;

namespace KrautPortal.Components.Shared;

/// <summary>
/// A component that refreshes itself when objects it shows change (spec or observed status), without reloading.
/// Bursts of changes collapse into one refresh.
/// </summary>
public abstract class LiveComponent : ComponentBase, IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(200);
    private IDisposable? _subscription;
    private Timer? _timer;
    private int _pending;
    private readonly SemaphoreSlim _refreshing = new(1, 1);

    [Inject] private ChangeFeed Feed { get; set; } = default!;

    /// <summary>Whether this change concerns what the component shows.</summary>
    protected abstract bool Watches(ResourceChange change);

    protected abstract Task RefreshAsync();

    protected override void OnInitialized()
    {
        _timer = new Timer(_ => _ = InvokeAsync(async () =>
        {
            // One refresh at a time: a change arriving while one awaits the database (PostgreSQL: a round trip, not a
            // file read) would otherwise start a second one on the page's DbContext, which throws and ends the circuit.
            await _refreshing.WaitAsync();
            try
            {
                Interlocked.Exchange(ref _pending, 0);
                await RefreshAsync();
                StateHasChanged();
            }
            finally
            {
                _refreshing.Release();
            }
        }));
        _subscription = Feed.Subscribe(change =>
        {
            if (change.IsEverything || Watches(change)) RefreshSoon();
        });
    }

    /// <summary>
    /// Refreshes shortly, once for a burst: what the change feed calls for a watched change, and what a sibling feed
    /// (a VM's console) calls for its own events. Safe from any thread.
    /// </summary>
    protected void RefreshSoon()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0) _timer?.Change(Debounce, Timeout.InfiniteTimeSpan);
    }

    public virtual void Dispose()
    {
        _subscription?.Dispose();
        _timer?.Dispose();
        GC.SuppressFinalize(this);
    }
}
