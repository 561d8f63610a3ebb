using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using OtpNet;
using QRCoder;

namespace KrautPortal.Features.Auth;

public sealed record OtpEnrolment(string Secret, string Uri, string QrPngDataUri);

public enum OtpCheck { Valid, Invalid, Replayed, NotEnrolled }

/// <summary>
/// TOTP (RFC 6238: 30 s steps, 6 digits, SHA-1, as every authenticator app does) as a second factor.
/// A code is accepted one step early or late, never twice; recovery codes work once each and are stored salted and
/// slowly hashed (<see cref="RecoveryCodeHash"/>).
/// Secrets are stored encrypted with ASP.NET Data Protection.
/// </summary>
public sealed class OtpService(DbSession session, IDataProtectionProvider protection, TimeProvider time)
{
    private KrautDbContext db => session.Db;

    public const int RecoveryCodeCount = 10;
    private static readonly VerificationWindow Window = new(previous: 1, future: 1);
    private readonly IDataProtector _protector = protection.CreateProtector("Kraut.Otp.v1");

    public async Task<bool> IsEnabledAsync(string user, CancellationToken ct) =>
        await db.Users.AsNoTracking().AnyAsync(u => u.Name == user && u.OtpEnabled, ct);

    /// <summary>Starts (or restarts) enrolment: a new secret, shown as a QR code, not required until confirmed.</summary>
    public async Task<OtpEnrolment> BeginEnrolmentAsync(string user, CancellationToken ct)
    {
        await EnsureUserAsync(user, ct);
        var secret = Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20));
        var protectedSecret = _protector.Protect(secret);
        var started = await db.Users.Where(u => u.Name == user && !u.OtpEnabled)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.OtpSecret, protectedSecret).SetProperty(u => u.OtpLastStep, 0L), ct);
        if (started == 0) throw new ConflictException("A one-time code is already set up; turn it off first to enrol another device.");
        var uri = $"otpauth://totp/Kraut:{Uri.EscapeDataString(user)}?secret={secret}&issuer=Kraut&digits=6&period=30";
        return new OtpEnrolment(secret, uri, "data:image/png;base64," + Convert.ToBase64String(QrPng(uri)));
    }

    /// <summary>Turns the second factor on once a code from the new device checks out; returns the recovery codes, shown once.</summary>
    public async Task<IReadOnlyList<string>?> ConfirmEnrolmentAsync(string user, string code, CancellationToken ct)
    {
        var row = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == user, ct);
        if (row?.OtpSecret is null || row.OtpEnabled) return null;
        if (!MatchTotp(row, code, out var step)) return null;
        var codes = Enumerable.Range(0, RecoveryCodeCount).Select(_ => NewRecoveryCode()).ToList();
        var hashes = JsonSerializer.Serialize(codes.Select(RecoveryCodeHash.Hash).ToList());
        var secret = row.OtpSecret;
        // Only if still enrolling with the same secret: a second tab cannot turn on a secret it never showed.
        var enabled = await db.Users.Where(u => u.Name == user && !u.OtpEnabled && u.OtpSecret == secret)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.OtpEnabled, true).SetProperty(u => u.OtpLastStep, step).SetProperty(u => u.RecoveryCodes, hashes), ct);
        return enabled == 1 ? codes : null;
    }

    public async Task<OtpCheck> VerifyAsync(string user, string code, CancellationToken ct)
    {
        // Untracked: a portal circuit keeps its DbContext for hours, and the writes below bypass its tracker.
        var row = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == user, ct);
        if (row is not { OtpEnabled: true, OtpSecret: not null }) return OtpCheck.NotEnrolled;
        code = code.Trim().Replace(" ", "", StringComparison.Ordinal);

        if (MatchTotp(row, code, out var step))
        {
            if (step <= row.OtpLastStep) return OtpCheck.Replayed;
            // Conditional update: two logins racing with the same code cannot both win.
            var won = await db.Users.Where(u => u.Name == user && u.OtpLastStep < step)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.OtpLastStep, step), ct);
            return won == 1 ? OtpCheck.Valid : OtpCheck.Replayed;
        }

        var hashes = JsonSerializer.Deserialize<List<string>>(row.RecoveryCodes) ?? [];
        var typed = code.ToUpperInvariant();
        var match = hashes.FirstOrDefault(h => RecoveryCodeHash.Matches(typed, h));
        if (match is null) return OtpCheck.Invalid;
        hashes.Remove(match);
        var before = row.RecoveryCodes;
        var after = JsonSerializer.Serialize(hashes);
        var used = await db.Users.Where(u => u.Name == user && u.RecoveryCodes == before)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.RecoveryCodes, after), ct);
        return used == 1 ? OtpCheck.Valid : OtpCheck.Replayed;
    }

    public async Task<int> RecoveryCodesLeftAsync(string user, CancellationToken ct)
    {
        var codes = await db.Users.AsNoTracking().Where(u => u.Name == user).Select(u => u.RecoveryCodes).FirstOrDefaultAsync(ct);
        return codes is null ? 0 : (JsonSerializer.Deserialize<List<string>>(codes)?.Count ?? 0);
    }

    /// <summary>Abandons an enrolment not yet confirmed: its secret is forgotten, so a code from it can never turn codes on.</summary>
    public async Task CancelEnrolmentAsync(string user, CancellationToken ct) =>
        await db.Users.Where(u => u.Name == user && !u.OtpEnabled).ExecuteUpdateAsync(s => s.SetProperty(u => u.OtpSecret, (string?)null), ct);

    public async Task DisableAsync(string user, CancellationToken ct)
    {
        await db.Users.Where(u => u.Name == user).ExecuteUpdateAsync(s => s
            .SetProperty(u => u.OtpEnabled, false)
            .SetProperty(u => u.OtpSecret, (string?)null)
            .SetProperty(u => u.RecoveryCodes, "[]"), ct);
    }

    private bool MatchTotp(UserRow row, string code, out long step)
    {
        step = 0;
        if (code.Length != 6 || !code.All(char.IsAsciiDigit)) return false;
        var totp = new Totp(Base32Encoding.ToBytes(_protector.Unprotect(row.OtpSecret!)));
        return totp.VerifyTotp(time.GetUtcNow().UtcDateTime, code, out step, Window);
    }

    private async Task EnsureUserAsync(string user, CancellationToken ct)
    {
        if (await db.Users.AnyAsync(u => u.Name == user, ct)) return;
        var row = new UserRow { Name = user, CreatedAt = time.GetUtcNow().UtcDateTime };
        db.Users.Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Made meanwhile by a first sign-in.
        }
        finally
        {
            db.Entry(row).State = EntityState.Detached;
        }
    }

    private static string NewRecoveryCode()
    {
        const string alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        var chars = RandomNumberGenerator.GetItems<char>(alphabet, 10);
        return new string(chars[..5]) + "-" + new string(chars[5..]);
    }

    private static byte[] QrPng(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.Q);
        using var png = new PngByteQRCode(data);
        return png.GetGraphic(5);
    }
}
