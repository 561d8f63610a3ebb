using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Auth;

/// <summary>Counts failed logins per user and per client address in a sliding window, and says when to refuse.</summary>
public sealed class LoginThrottle(IOptions<AuthOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Queue<DateTime>> _failures = new();
    private ThrottleOptions O => options.Value.Throttle;

    /// <summary>Null when a login may be tried; otherwise why not, in words.</summary>
    public string? Refusal(string user, string? address)
    {
        if (Count("u:" + user) >= O.FailuresPerUser)
            return $"Too many failed logins for '{user}'; try again in {O.WindowSeconds / 60} minutes.";
        if (address is not null && Count("a:" + address) >= O.FailuresPerAddress)
            return $"Too many failed logins from {address}; try again in {O.WindowSeconds / 60} minutes.";
        return null;
    }

    public void Failed(string user, string? address)
    {
        Add("u:" + user);
        if (address is not null) Add("a:" + address);
    }

    /// <summary>A success clears the user's count (not the address's: one good account must not unlock guessing others).</summary>
    public void Succeeded(string user) => _failures.TryRemove("u:" + user, out _);

    private int Count(string key)
    {
        if (!_failures.TryGetValue(key, out var queue)) return 0;
        lock (queue)
        {
            Trim(queue);
            return queue.Count;
        }
    }

    private void Add(string key)
    {
        var queue = _failures.GetOrAdd(key, _ => new Queue<DateTime>());
        lock (queue)
        {
            Trim(queue);
            queue.Enqueue(time.GetUtcNow().UtcDateTime);
        }
    }

    private void Trim(Queue<DateTime> queue)
    {
        var horizon = time.GetUtcNow().UtcDateTime.AddSeconds(-O.WindowSeconds);
        while (queue.Count > 0 && queue.Peek() < horizon) queue.Dequeue();
    }
}
