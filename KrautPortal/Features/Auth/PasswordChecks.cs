using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace KrautPortal.Features.Auth;

/// <summary>
/// Runs password checks for every verifier. A bcrypt hash or an LDAP bind holds a thread for milliseconds;
/// at most one check per core runs at once, and requests waiting for a turn hold no thread, so a burst of
/// password logins cannot starve token requests. A successful check is remembered for <see cref="Lifetime"/>,
/// keyed by a keyed hash of the password (the password itself is never kept).
/// </summary>
public sealed class PasswordChecks(TimeProvider time) : IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    private const int MaxRemembered = 10_000;

    private readonly SemaphoreSlim _gate = new(Environment.ProcessorCount);
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, (PasswordCheck.Valid Result, DateTime Until)> _recent = new();

    public async Task<PasswordCheck> VerifyAsync(IPasswordVerifier verifier, string user, string password, CancellationToken ct)
    {
        var key = $"{verifier.Name}\n{user}\n{Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(password)))}";
        var now = time.GetUtcNow().UtcDateTime;
        if (_recent.TryGetValue(key, out var hit) && hit.Until > now) return hit.Result;

        PasswordCheck result;
        await _gate.WaitAsync(ct);
        try
        {
            result = await Task.Run(() => verifier.VerifyAsync(user, password, ct), ct);
        }
        finally
        {
            _gate.Release();
        }

        if (result is PasswordCheck.Valid valid)
        {
            if (_recent.Count >= MaxRemembered) Forget(now);
            _recent[key] = (valid, now + Lifetime);
        }
        return result;
    }

    private void Forget(DateTime now)
    {
        foreach (var (key, entry) in _recent)
            if (entry.Until <= now) _recent.TryRemove(key, out _);
        if (_recent.Count >= MaxRemembered) _recent.Clear();
    }

    public void Dispose() => _gate.Dispose();
}
