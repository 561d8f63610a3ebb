using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Auth;

/// <summary>
/// Slows password guessing without letting an attacker lock a person out. Failures are counted per
/// (user, address): past <see cref="ThrottleOptions.FreeFailures"/>, that pair must wait a delay that doubles with
/// each failure before its next try, and a try during the wait is refused unchecked. Another address is not
/// affected, and once the wait is over the right password works. Failures per address (any user) and per user (any
/// address) never refuse: past their limits every check from that address or for that user only answers slowly.
/// Names are counted whether or not the user exists, so the throttle tells nothing about which names are real.
/// </summary>
public sealed class LoginThrottle(IOptions<AuthOptions> options, TimeProvider time)
{
    private const int MaxTracked = 100_000;
    private readonly ConcurrentDictionary<string, Failures> _failures = new();
    private ThrottleOptions O => options.Value.Throttle;

    /// <summary>The same words for every name and address: a refusal must not reveal whether the user exists.</summary>
    public static string Refusal(TimeSpan wait) =>
        $"Too many failed sign-ins for this user from your address; try again in {Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))} seconds.";

    /// <summary>How long this (user, address) must still wait before its password is checked; zero when it may try now.</summary>
    public TimeSpan Wait(string user, string? address)
    {
        if (!_failures.TryGetValue(PairKey(user, address), out var pair)) return TimeSpan.Zero;
        lock (pair)
        {
            var now = Now;
            pair.Trim(now, Window);
            var over = pair.Count - O.FreeFailures;
            if (over < 0) return TimeSpan.Zero;
            var delay = TimeSpan.FromSeconds(Math.Min(O.MaxDelaySeconds, O.BaseDelaySeconds * Math.Pow(2, Math.Min(over, 30))));
            var until = pair.Last + delay;
            return until > now ? until - now : TimeSpan.Zero;
        }
    }

    /// <summary>The pause before checking a password when its address or its user name has failed often lately.</summary>
    public TimeSpan SlowDown(string user, string? address)
    {
        var busy = Count("u:" + user) >= O.FailuresPerUser || (address is not null && Count("a:" + address) >= O.FailuresPerAddress);
        return busy ? TimeSpan.FromMilliseconds(O.SlowDownMilliseconds) : TimeSpan.Zero;
    }

    public void Failed(string user, string? address)
    {
        if (_failures.Count >= MaxTracked) Forget();
        Add(PairKey(user, address));
        Add("u:" + user);
        if (address is not null) Add("a:" + address);
    }

    /// <summary>A success clears only its own pair: one good account must not unlock guessing others from that address.</summary>
    public void Succeeded(string user, string? address) => _failures.TryRemove(PairKey(user, address), out _);

    private static string PairKey(string user, string? address) => $"p:{address}\n{user}";

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    private TimeSpan Window => TimeSpan.FromSeconds(O.WindowSeconds);

    private int Count(string key)
    {
        if (!_failures.TryGetValue(key, out var failures)) return 0;
        lock (failures)
        {
            failures.Trim(Now, Window);
            return failures.Count;
        }
    }

    private void Add(string key)
    {
        var failures = _failures.GetOrAdd(key, _ => new Failures());
        lock (failures)
        {
            failures.Trim(Now, Window);
            failures.Add(Now);
        }
    }

    /// <summary>Many names tried: drop what has aged out, and if that is not enough, everything (memory stays bounded).</summary>
    private void Forget()
    {
        foreach (var (key, failures) in _failures)
        {
            lock (failures)
            {
                failures.Trim(Now, Window);
                if (failures.Count == 0) _failures.TryRemove(key, out _);
            }
        }
        if (_failures.Count >= MaxTracked) _failures.Clear();
    }

    /// <summary>Failure times within the window; at most a few hundred are kept, which is all any limit needs.</summary>
    private sealed class Failures
    {
        private const int MaxKept = 256;
        private readonly Queue<DateTime> _times = new();

        public int Count => _times.Count;
        public DateTime Last { get; private set; }

        public void Add(DateTime at)
        {
            if (_times.Count >= MaxKept) _times.Dequeue();
            _times.Enqueue(at);
            Last = at;
        }

        public void Trim(DateTime now, TimeSpan window)
        {
            while (_times.Count > 0 && _times.Peek() < now - window) _times.Dequeue();
        }
    }
}
