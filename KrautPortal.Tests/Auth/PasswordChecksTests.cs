using KrautPortal.Features.Auth;

namespace KrautPortal.Tests.Auth;

public sealed class PasswordChecksTests
{
    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>A real verifier's answers, counted: "right" is the only right password.</summary>
    private sealed class Counting : IPasswordVerifier
    {
        public int Calls;
        public string Name => "counting";

        public Task<PasswordCheck> VerifyAsync(string user, string password, CancellationToken ct)
        {
            Interlocked.Increment(ref Calls);
            return Task.FromResult<PasswordCheck>(password == "right" ? new PasswordCheck.Valid(["g"]) : PasswordCheck.WrongPassword.Instance);
        }
    }

    [Fact]
    public async Task ARightPassword_IsRememberedForTheLifetime_ThenCheckedAgain()
    {
        var clock = new Clock();
        using var checks = new PasswordChecks(clock);
        var verifier = new Counting();

        Assert.IsType<PasswordCheck.Valid>(await checks.VerifyAsync(verifier, "alice", "right", CancellationToken.None));
        Assert.IsType<PasswordCheck.Valid>(await checks.VerifyAsync(verifier, "alice", "right", CancellationToken.None));
        Assert.Equal(1, verifier.Calls);

        clock.Now += PasswordChecks.Lifetime + TimeSpan.FromSeconds(1);
        await checks.VerifyAsync(verifier, "alice", "right", CancellationToken.None);
        Assert.Equal(2, verifier.Calls);
    }

    [Fact]
    public async Task WrongPasswords_AreNeverRemembered_AndAnotherPasswordIsNotServedFromMemory()
    {
        using var checks = new PasswordChecks(new Clock());
        var verifier = new Counting();

        await checks.VerifyAsync(verifier, "alice", "right", CancellationToken.None);
        Assert.IsType<PasswordCheck.WrongPassword>(await checks.VerifyAsync(verifier, "alice", "wrong", CancellationToken.None));
        Assert.IsType<PasswordCheck.WrongPassword>(await checks.VerifyAsync(verifier, "alice", "wrong", CancellationToken.None));
        Assert.IsType<PasswordCheck.WrongPassword>(await checks.VerifyAsync(verifier, "bob", "wrong", CancellationToken.None));
        Assert.Equal(4, verifier.Calls);
    }
}
