using KrautPortal.Features.Auth;
using KrautPortal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Auth;

/// <summary>TOTP against codes computed by Debian's oathtool, an independent implementation of RFC 6238.</summary>
public sealed class OtpTests(Api.ApiClient api) : IClassFixture<Api.ApiClient>
{
    private static string Code(string secret, int stepsAgo = 0) =>
        Tool.Run("oathtool", "--totp", "-b", "-N", $"now - {stepsAgo * 30} seconds", secret);

    private async Task<(OtpService Otp, AsyncServiceScope Scope)> OtpAsync()
    {
        await Task.CompletedTask;
        var scope = api.App.CreateActorScope();
        return (scope.ServiceProvider.GetRequiredService<OtpService>(), scope);
    }

    [Fact]
    public async Task Enrolment_WithOathtoolCode_TurnsOn_AndGivesTenRecoveryCodes()
    {
        var (otp, scope) = await OtpAsync();
        await using var _ = scope;
        var user = "enrol-" + Guid.NewGuid().ToString("N")[..8];

        var enrolment = await otp.BeginEnrolmentAsync(user, CancellationToken.None);
        Assert.False(await otp.IsEnabledAsync(user, CancellationToken.None));
        Assert.StartsWith("otpauth://totp/Kraut:", enrolment.Uri, StringComparison.Ordinal);
        Assert.StartsWith("data:image/png;base64,", enrolment.QrPngDataUri, StringComparison.Ordinal);
        Assert.Null(await otp.ConfirmEnrolmentAsync(user, "000000", CancellationToken.None));

        var codes = await otp.ConfirmEnrolmentAsync(user, Code(enrolment.Secret), CancellationToken.None);

        Assert.NotNull(codes);
        Assert.Equal(OtpService.RecoveryCodeCount, codes.Distinct().Count());
        Assert.True(await otp.IsEnabledAsync(user, CancellationToken.None));
    }

    [Fact]
    public async Task Verify_AcceptsACodeOnce_RefusesItsReplay_AndRefusesWrongCodes()
    {
        var (otp, scope) = await OtpAsync();
        await using var _ = scope;
        var (user, secret) = await EnrolledAsync(otp, confirmStepsAgo: 1);

        var code = Code(secret);
        Assert.Equal(OtpCheck.Valid, await otp.VerifyAsync(user, code, CancellationToken.None));
        Assert.Equal(OtpCheck.Replayed, await otp.VerifyAsync(user, code, CancellationToken.None));
        Assert.Equal(OtpCheck.Invalid, await otp.VerifyAsync(user, code == "123456" ? "654321" : "123456", CancellationToken.None));
        Assert.Equal(OtpCheck.Invalid, await otp.VerifyAsync(user, "abc", CancellationToken.None));
        // A code from long ago is outside the window even though oathtool computed it correctly.
        Assert.NotEqual(OtpCheck.Valid, await otp.VerifyAsync(user, Code(secret, stepsAgo: 10), CancellationToken.None));
    }

    [Fact]
    public async Task Verify_AnOlderStepAfterANewerOne_IsRefusedAsReplay()
    {
        var (otp, scope) = await OtpAsync();
        await using var _ = scope;
        var (user, secret) = await EnrolledAsync(otp, confirmStepsAgo: 0);

        // Confirming used the current step; the previous step's code is inside the window but older.
        Assert.NotEqual(OtpCheck.Valid, await otp.VerifyAsync(user, Code(secret, stepsAgo: 1), CancellationToken.None));
    }

    [Fact]
    public async Task RecoveryCode_WorksOnce_InAnyCase()
    {
        var (otp, scope) = await OtpAsync();
        await using var _ = scope;
        var user = "recover-" + Guid.NewGuid().ToString("N")[..8];
        var enrolment = await otp.BeginEnrolmentAsync(user, CancellationToken.None);
        var codes = (await otp.ConfirmEnrolmentAsync(user, Code(enrolment.Secret), CancellationToken.None))!;

        Assert.Equal(OtpCheck.Valid, await otp.VerifyAsync(user, codes[3].ToLowerInvariant(), CancellationToken.None));
        Assert.Equal(OtpCheck.Invalid, await otp.VerifyAsync(user, codes[3], CancellationToken.None));
        Assert.Equal(OtpService.RecoveryCodeCount - 1, await otp.RecoveryCodesLeftAsync(user, CancellationToken.None));
    }

    [Fact]
    public async Task RecoveryCodes_AreStoredSalted_SoEqualCodesLookDifferent_AndNoneIsItsPlainSha256()
    {
        var (otp, scope) = await OtpAsync();
        await using var _ = scope;
        var user = "salted-" + Guid.NewGuid().ToString("N")[..8];
        var enrolment = await otp.BeginEnrolmentAsync(user, CancellationToken.None);
        var codes = (await otp.ConfirmEnrolmentAsync(user, Code(enrolment.Secret), CancellationToken.None))!;

        var db = scope.ServiceProvider.GetRequiredService<Features.Store.KrautDbContext>();
        var stored = System.Text.Json.JsonSerializer.Deserialize<List<string>>(
            db.Users.AsNoTracking().Single(u => u.Name == user).RecoveryCodes)!;
        var unsalted = codes.Select(c => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(c)))).ToList();
        Assert.Empty(stored.Intersect(unsalted));
        Assert.All(stored, h => Assert.StartsWith("pbkdf2-sha256$", h, StringComparison.Ordinal));
        // The same code hashed twice gives two different records (a salt each), and both check out.
        var (one, two) = (RecoveryCodeHash.Hash(codes[0]), RecoveryCodeHash.Hash(codes[0]));
        Assert.NotEqual(one, two);
        Assert.True(RecoveryCodeHash.Matches(codes[0], one) && RecoveryCodeHash.Matches(codes[0], two));
        Assert.False(RecoveryCodeHash.Matches(codes[1], one));
    }

    [Fact]
    public async Task ARecoveryCodeEnrolledBeforeSalting_StillWorksOnce()
    {
        var (otp, scope) = await OtpAsync();
        await using var _ = scope;
        var (user, _) = await EnrolledAsync(otp, confirmStepsAgo: 0);
        const string old = "ABCDE-FGHJK";
        var legacy = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(old)));
        var db = scope.ServiceProvider.GetRequiredService<Features.Store.KrautDbContext>();
        await db.Users.Where(u => u.Name == user).ExecuteUpdateAsync(s => s.SetProperty(u => u.RecoveryCodes, $"[\"{legacy}\"]"));

        Assert.Equal(OtpCheck.Valid, await otp.VerifyAsync(user, old, CancellationToken.None));
        Assert.Equal(OtpCheck.Invalid, await otp.VerifyAsync(user, old, CancellationToken.None));
    }

    [Fact]
    public async Task Disable_RemovesTheSecond_Factor()
    {
        var (otp, scope) = await OtpAsync();
        await using var _ = scope;
        var (user, _) = await EnrolledAsync(otp, confirmStepsAgo: 0);

        await otp.DisableAsync(user, CancellationToken.None);

        Assert.False(await otp.IsEnabledAsync(user, CancellationToken.None));
        Assert.Equal(OtpCheck.NotEnrolled, await otp.VerifyAsync(user, "123456", CancellationToken.None));
    }

    private static async Task<(string User, string Secret)> EnrolledAsync(OtpService otp, int confirmStepsAgo)
    {
        var user = "otp-" + Guid.NewGuid().ToString("N")[..8];
        var enrolment = await otp.BeginEnrolmentAsync(user, CancellationToken.None);
        Assert.NotNull(await otp.ConfirmEnrolmentAsync(user, Code(enrolment.Secret, confirmStepsAgo), CancellationToken.None));
        return (user, enrolment.Secret);
    }
}
