using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Cli;

/// <summary>
/// <c>kraut console</c> on the test driver: the ticket and the WebSocket handshake with the ticket as subprotocol, and the
/// portal's refusals. The bytes of a booted guest's serial console are covered by the portal's own console tests
/// (Consoles/SerialConsoleTests), which drive the same socket protocol; a booted guest here would cost minutes under TCG.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class CliConsoleTests(CliPortal portal)
{
    [Fact]
    public async Task Console_OfARunningVm_OpensTheSocketWithItsTicket_AndPrintsThePortalsClosingReason()
    {
        var vm = ApiClient.UniqueName("con");
        await portal.ExpectAsync(0, "vm", "create", vm, "--image", "kraut-test-guest", "--network", "default", "--type", "small", "--wait", "--timeout", "60s");
        try
        {
            // The handshake succeeds (ticket as subprotocol); the test driver then has no console stream, and the portal says so
            // in a "closed" control message, which kraut prints as its error.
            var run = await portal.ExpectAsync(1, "console", vm);
            Assert.Contains($"Connected to the serial console of VM {vm}. Ctrl-] quits.", run.Err, StringComparison.Ordinal);
            Assert.Contains("Error: The console could not be opened: virDomainOpenConsole failed", run.Err, StringComparison.Ordinal);
        }
        finally
        {
            await portal.RunAsync("vm", "delete", vm, "--yes", "--wait", "--timeout", "60s");
        }
    }

    [Fact]
    public async Task Console_OfAStoppedVm_IsRefusedInTheApisWords_AndOfNoVm_IsNotFound()
    {
        var vm = ApiClient.UniqueName("con");
        await portal.ExpectAsync(0, "vm", "create", vm, "--image", "kraut-test-guest", "--network", "default", "--type", "small", "--stopped", "--wait", "--timeout", "60s");
        try
        {
            var stopped = await portal.ExpectAsync(4, "console", vm);
            Assert.Contains($"'{vm}' is not running (it is stopped); start it to use its console.", stopped.Err, StringComparison.Ordinal);
            Assert.DoesNotContain("Connected", stopped.Err, StringComparison.Ordinal);

            await portal.ExpectAsync(3, "console", "no-such-vm");
            await portal.ExpectAsync(3, "console", Guid.NewGuid().ToString());
        }
        finally
        {
            await portal.RunAsync("vm", "delete", vm, "--yes", "--wait", "--timeout", "60s");
        }
    }
}
