using KrautPortal.Hypervisor;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>What an attached console stream sees when its domain stops under it (the portal closes the session then).</summary>
[Collection(RealQemuCollection.Name)]
public sealed class ConsoleDomainStopTests
{
    [Fact]
    public async Task Console_DomainDestroyed_EndsTheAttachedStream()
    {
        // The guest need not finish booting: the console exists as soon as QEMU runs.
        var guest = new ConsoleGuestFixture();
        await guest.StartAsync(waitForBoot: false);
        try
        {
            using var serial = GuestSerial.Open(TestHosts.System, guest.Uuid);
            using (var libvirt = LibvirtConnection.Open(TestHosts.System))
            using (var domain = libvirt.FindDomain(guest.Uuid)!)
            {
                domain.Destroy();
            }

            await Eventually.WaitUntilAsync(() => serial.Ended is not null, TimeSpan.FromSeconds(30), "the console stream to end");
            // A plain end of stream (Receive returned 0), unlike a takeover, which libvirt reports as an error.
            Assert.IsType<EndOfStreamException>(serial.Ended);
        }
        finally
        {
            await guest.DisposeAsync();
        }
    }
}
