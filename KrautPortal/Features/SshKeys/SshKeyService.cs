using System.Security.Cryptography;
using System.Text.Json;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.SshKeys;

/// <summary>A key on a user's profile; <see cref="Id"/> is its fingerprint in URL-safe form, for the API's paths.</summary>
public sealed record SshKeyInfo(string Id, string Type, string? Comment, string Fingerprint, string Key);

/// <summary>
/// The SSH public keys on a user's profile (UserRow.SshKeys, a JSON array of lines). New VMs start with
/// them in VmSpec.SshAuthorizedKeys; changing the profile does not touch existing VMs.
/// </summary>
public sealed class SshKeyService(DbSession session, ChangeFeed feed, TimeProvider time)
{
    private KrautDbContext db => session.Db;

    public const int MaxKeys = 32;

    /// <summary>
    /// The change feed's name for "someone's profile keys changed" (not a kind: keys are no versioned records), so what
    /// hands keys on (a router's geek mode) follows without polling.
    /// </summary>
    public const string ChangeKind = "profile-ssh-keys";

    public async Task<IReadOnlyList<SshKeyInfo>> ListAsync(string user, CancellationToken ct) =>
        (await ReadAsync(user, ct)).Select(Describe).ToList();

    public async Task<SshKeyInfo> AddAsync(string user, string? text, CancellationToken ct)
    {
        if (!SshPublicKey.TryParse(text, out var key, out var problem)) throw new ValidationException("key", problem);
        var added = Describe(key.Line);
        await UpdateAsync(user, keys =>
        {
            if (keys.Select(Describe).Any(k => k.Id == added.Id))
                throw new ConflictException($"This key ({added.Fingerprint}) is already on your profile.");
            if (keys.Count >= MaxKeys) throw new ValidationException("key", $"A profile holds at most {MaxKeys} keys; remove one first.");
            return [.. keys, key.Line];
        }, ct);
        return added;
    }

    public async Task RemoveAsync(string user, string id, CancellationToken ct) =>
        await UpdateAsync(user, keys =>
        {
            var kept = keys.Where(k => Describe(k).Id != id).ToList();
            if (kept.Count == keys.Count) throw new KeyNotOnProfileException(id);
            return kept;
        }, ct);

    public static SshKeyInfo Describe(string line)
    {
        if (!SshPublicKey.TryParse(line, out var key, out _)) return new SshKeyInfo(IdOf(line), "unknown", null, "", line);
        return new SshKeyInfo(IdOf(key.Blob), key.Type, key.Comment, key.Fingerprint, key.Line);
    }

    private static string IdOf(string blobOrLine)
    {
        byte[] data;
        try
        {
            data = Convert.FromBase64String(blobOrLine);
        }
        catch (FormatException)
        {
            data = System.Text.Encoding.UTF8.GetBytes(blobOrLine);
        }
        return Convert.ToBase64String(SHA256.HashData(data)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private async Task<List<string>> ReadAsync(string user, CancellationToken ct)
    {
        var json = await db.Users.AsNoTracking().Where(u => u.Name == user).Select(u => u.SshKeys).FirstOrDefaultAsync(ct);
        return json is null ? [] : JsonSerializer.Deserialize<List<string>>(json) ?? [];
    }

    /// <summary>Compare-and-set on the stored JSON, so two tabs adding keys at once both keep theirs.</summary>
    private async Task UpdateAsync(string user, Func<List<string>, List<string>> change, CancellationToken ct)
    {
        await EnsureUserAsync(user, ct);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var before = await db.Users.AsNoTracking().Where(u => u.Name == user).Select(u => u.SshKeys).FirstAsync(ct);
            var after = JsonSerializer.Serialize(change(JsonSerializer.Deserialize<List<string>>(before) ?? []));
            var written = await db.Users.Where(u => u.Name == user && u.SshKeys == before)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.SshKeys, after), ct);
            if (written == 1)
            {
                feed.Publish(new ResourceChange(ChangeKind, Guid.Empty));
                return;
            }
        }
        throw new ConflictException("Your keys changed several times meanwhile; reload and try again.");
    }

    private async Task EnsureUserAsync(string user, CancellationToken ct)
    {
        if (await db.Users.AsNoTracking().AnyAsync(u => u.Name == user, ct)) return;
        db.Users.Add(new UserRow { Name = user, CreatedAt = time.GetUtcNow().UtcDateTime });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Made meanwhile by a sign-in or another request.
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }
}

public sealed class KeyNotOnProfileException(string id)
    : KrautProblemException(404, "Not found", $"There is no key with id {id} on your profile.");
