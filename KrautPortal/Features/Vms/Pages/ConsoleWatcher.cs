namespace KrautPortal.Features.Vms.Pages;

/// <summary>
/// Tells open console views that a VM's serial console log changed (grew, appeared, went): the console's sibling of
/// the change feed, so the page is pushed new output as the guest prints instead of polling the file. One inotify
/// watch on the consoles directory serves the whole portal; the views debounce like every <c>LiveComponent</c>.
/// </summary>
public sealed class ConsoleWatcher : IDisposable
{
    private readonly FileSystemWatcher _watcher;
    private readonly Lock _lock = new();
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);
    private readonly Timer? _poll;
    private Dictionary<Guid, Action[]> _subscribers = [];

    public ConsoleWatcher(KrautPaths paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        _watcher = new FileSystemWatcher(paths.Consoles, "*.log")
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        _watcher.Changed += (_, e) => Notify(e.Name);
        _watcher.Created += (_, e) => Notify(e.Name);
        _watcher.Deleted += (_, e) => Notify(e.Name);
        _watcher.Renamed += (_, e) => Notify(e.Name);
        // Events were lost (the kernel's queue overflowed): every view reads its file again.
        _watcher.Error += (_, _) => NotifyAll();
        try
        {
            _watcher.EnableRaisingEvents = true;
        }
        catch (IOException)
        {
            // No inotify instance left (fs.inotify.max_user_instances): the views still follow, by a slow poll.
            _poll = new Timer(_ => NotifyAll(), null, PollInterval, PollInterval);
        }
    }

    /// <summary>Calls <paramref name="changed"/> (on the watcher's thread: it must not block) whenever the console of <paramref name="vmId"/> changes.</summary>
    public IDisposable Subscribe(Guid vmId, Action changed)
    {
        lock (_lock) _subscribers = new(_subscribers) { [vmId] = [.. _subscribers.GetValueOrDefault(vmId, []), changed] };
        return new Unsubscriber(this, vmId, changed);
    }

    private void Notify(string? fileName)
    {
        if (Path.GetFileNameWithoutExtension(fileName) is not { } name || !Guid.TryParse(name, out var vmId)) return;
        if (_subscribers.TryGetValue(vmId, out var handlers)) Call(handlers);
    }

    private void NotifyAll()
    {
        foreach (var handlers in _subscribers.Values) Call(handlers);
    }

    private static void Call(Action[] handlers)
    {
        foreach (var handler in handlers)
        {
            try { handler(); }
            catch (ObjectDisposedException) { /* a page closed while we were telling it */ }
        }
    }

    private void Remove(Guid vmId, Action changed)
    {
        lock (_lock)
        {
            var rest = _subscribers.GetValueOrDefault(vmId, []).Where(h => h != changed).ToArray();
            var next = new Dictionary<Guid, Action[]>(_subscribers);
            if (rest.Length == 0) next.Remove(vmId);
            else next[vmId] = rest;
            _subscribers = next;
        }
    }

    public void Dispose()
    {
        _poll?.Dispose();
        _watcher.Dispose();
    }

    private sealed class Unsubscriber(ConsoleWatcher watcher, Guid vmId, Action changed) : IDisposable
    {
        public void Dispose() => watcher.Remove(vmId, changed);
    }
}
