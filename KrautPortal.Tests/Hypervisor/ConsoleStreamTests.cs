using System.Net.Sockets;
using System.Text;
using System.Xml.Linq;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>libvirt's console stream and the VNC socket of a real booted test guest (qemu:///system).</summary>
[Collection(RealQemuCollection.Name)]
public sealed class ConsoleStreamTests(ConsoleGuestFixture guest) : IClassFixture<ConsoleGuestFixture>
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Console_TypedCommand_IsAnsweredOnTheStream_AndLandsInTheLogFile()
    {
        using var serial = GuestSerial.Open(TestHosts.System, guest.Uuid);
        await serial.WaitForShellAsync(ConsoleGuestFixture.Boot);

        var token = Guid.NewGuid().ToString("N")[..12];
        await serial.SendLineAsync($"echo kraut-$((6*7))-{token}-marker");

        await serial.WaitForAsync($"kraut-42-{token}-marker", Answer);
        // virtlogd copies the pty's output into the log whether or not a stream is attached.
        await Eventually.WaitUntilAsync(() => GuestConsole.Read(guest.SerialLogPath).Contains($"kraut-42-{token}-marker", StringComparison.Ordinal),
            Answer, "the answer in the serial log file");
    }

    [Fact]
    public async Task Console_ForcedSecondOpen_TakesOver_AndTheFirstStreamEnds()
    {
        using var first = GuestSerial.Open(TestHosts.System, guest.Uuid);
        await first.WaitForShellAsync(ConsoleGuestFixture.Boot);

        using var second = GuestSerial.Open(TestHosts.System, guest.Uuid);

        await Eventually.WaitUntilAsync(() => first.Ended is not null, Answer, "the first console stream to end");
        await second.WaitForShellAsync(ConsoleGuestFixture.Boot);
        Assert.Null(second.Ended);
        // libvirt ends the taken-over stream with an error, not a plain end: "stream had I/O failure".
        Assert.IsType<LibvirtException>(first.Ended);
    }

    [Fact]
    public async Task Console_OpenWithoutForce_WhileHeld_IsRefused()
    {
        using var holder = GuestSerial.Open(TestHosts.System, guest.Uuid);
        using var libvirt = LibvirtConnection.Open(TestHosts.System);
        using var domain = libvirt.FindDomain(guest.Uuid)!;

        var refused = Assert.Throws<LibvirtException>(() => domain.OpenConsole(force: false));

        Assert.Equal("virDomainOpenConsole", refused.Operation);
        Assert.Null(holder.Ended);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Console_DisposeFromAnotherThread_WakesABlockedReceive_WhichReturnsEndOfStream()
    {
        using var libvirt = LibvirtConnection.Open(TestHosts.System);
        using var domain = libvirt.FindDomain(guest.Uuid)!;
        var stream = domain.OpenConsole();
        var received = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = new Thread(() =>
        {
            try
            {
                var buffer = new byte[4096];
                int n;
                // The idle guest prints nothing, so Receive blocks until the stream is aborted.
                while ((n = stream.Receive(buffer)) > 0)
                {
                }

                received.SetResult(n);
            }
            catch (Exception e)
            {
                received.SetException(e);
            }
        }) { IsBackground = true };
        reader.Start();
        await Task.Delay(500); // let the reader block inside virStreamRecv; nothing to await there

        stream.Dispose();

        Assert.Equal(0, await received.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(stream.IsEnded);
        Assert.True(reader.Join(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Vnc_UnixSocket_AnswersWithTheRfbGreeting()
    {
        Assert.True(File.Exists(guest.VncSocketPath), $"QEMU listens on {guest.VncSocketPath}");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(guest.VncSocketPath));

        var greeting = new byte[12];
        var read = 0;
        using var cts = new CancellationTokenSource(Answer);
        while (read < greeting.Length)
        {
            var n = await socket.ReceiveAsync(greeting.AsMemory(read), SocketFlags.None, cts.Token);
            Assert.NotEqual(0, n);
            read += n;
        }

        Assert.Equal("RFB 003.008\n", Encoding.ASCII.GetString(greeting));
    }

    [Fact]
    public void LiveXml_HasAPtySerialLoggedToTheFile_AndVncOnlyOnTheSocket()
    {
        using var libvirt = LibvirtConnection.Open(TestHosts.System);
        using var domain = libvirt.FindDomain(guest.Uuid)!;
        var devices = XDocument.Parse(domain.GetXml()).Root!.Element("devices")!;

        var serial = Assert.Single(devices.Elements("serial"));
        Assert.Equal("pty", (string?)serial.Attribute("type"));
        Assert.Equal(guest.SerialLogPath, (string?)serial.Element("log")?.Attribute("file"));
        var graphics = Assert.Single(devices.Elements("graphics"));
        Assert.Equal("vnc", (string?)graphics.Attribute("type"));
        Assert.Null(graphics.Attribute("port"));
        Assert.Null(graphics.Attribute("listen"));
        var listen = Assert.Single(graphics.Elements("listen"));
        Assert.Equal("socket", (string?)listen.Attribute("type"));
        Assert.Equal(guest.VncSocketPath, (string?)listen.Attribute("socket"));
    }
}

/// <summary>libvirt's test driver has no consoles: the binding says so clearly instead of failing later.</summary>
public sealed class ConsoleTestDriverTests
{
    [Fact]
    public void OpenConsole_OnTheTestDriver_IsAClearUnsupportedError()
    {
        using var libvirt = LibvirtConnection.Open(TestHosts.TestDriver);
        var domains = libvirt.ListAllDomains();
        LibvirtException error;
        try
        {
            // The driver's own running domain "test": the refusal is about consoles, not about its state.
            var running = domains.First(d => d.IsActive);
            error = Assert.Throws<LibvirtException>(() => running.OpenConsole());
        }
        finally
        {
            foreach (var domain in domains) domain.Dispose();
        }

        Assert.True(error.IsUnsupported, error.Message);
        Assert.Equal("virDomainOpenConsole", error.Operation);
    }
}
