using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Consoles;

/// <summary>
/// A portal on the real libvirtd with one booted test guest of alice's (a root shell on its serial port), shared by a
/// test class; at most <see cref="Cap"/> consoles per person.
/// </summary>
public sealed class ConsoleGuestPortal() : ConsolePortal(KrautAppFactory.SystemDriver, SeedImages.Guest,
    new Dictionary<string, string?>
    {
        ["Consoles:MaxPerUser"] = Cap.ToString(System.Globalization.CultureInfo.InvariantCulture),
        // A removed user is noticed at the next re-check, not a minute later.
        ["Auth:IdentityRecheckSeconds"] = "1",
        // An expired token or a removed user is found by the sessions' periodic re-check: every 2 s here, not every 10 s
        // (the expiry and removed-user tests each waited up to 10 s for it).
        ["Consoles:RecheckSeconds"] = "2",
    }), IAsyncLifetime
{
    public const int Cap = 3;
    public static readonly TimeSpan Boot = TimeSpan.FromSeconds(180);

    public Guid VmId { get; private set; }

    public async Task InitializeAsync()
    {
        Tool.PackagedFile("/usr/bin/qemu-system-x86_64", "qemu-system-x86");
        VmId = await BootAsync("alice");
    }

    /// <summary>A VM of <paramref name="owner"/>, running, with its serial shell answering (init starts it late in boot).</summary>
    public async Task<Guid> BootAsync(string owner)
    {
        var id = await VmAsync(owner, running: true, timeout: Boot);
        await Eventually.WaitUntilAsync(() => GuestConsole.Read(App.Service<Features.KrautPaths>().ConsoleFor(id)).Contains("KRAUT-GUEST-BOOTED", StringComparison.Ordinal),
            Boot, "KRAUT-GUEST-BOOTED in the serial log");
        return id;
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
