using System.Globalization;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Routers;

/// <summary>
/// The traffic tests' <see cref="RouterLab"/> with two guests on the inner network: "traffic-web" (.10) serves :80 and
/// 8080–8083 and asks the internet's whoami page who it is (NAT), "traffic-peer" (.11) serves :80.
/// </summary>
public sealed class TrafficLab() : RouterLab(new PortalProcess()), IAsyncLifetime
{
    public static readonly int[] ExtraPorts = [8080, 8081, 8082, 8083];

    /// <summary>How far apart the three probes of <see cref="ExpectNoAnswerAsync"/> start.</summary>
    private static readonly TimeSpan ProbeSpacing = TimeSpan.FromSeconds(1);

    public Guid WebVmId { get; private set; }
    public Guid PeerVmId { get; private set; }
    public string WebIp => $"{InnerPrefix}.10";
    public string PeerIp => $"{InnerPrefix}.11";

    public async Task InitializeAsync()
    {
        await BuildAsync(() => TestSubnets.FreePrefix(200, 240));
        var ports = string.Join(' ', ExtraPorts.Select(p => p.ToString(CultureInfo.InvariantCulture)));
        WebVmId = await CreateGuestAsync("traffic-web", WebIp, $"""
            #!/bin/sh
            for p in {ports}; do mkdir -p /www$p; echo "kraut-port $p ok" >/www$p/index.html; httpd -p $p -h /www$p; done
            echo KRAUT-TEST-PORTS=up
            for i in $(seq 1 300); do
              printf 'GET /cgi-bin/whoami HTTP/1.0\r\n\r\n' | nc -w 5 {Client1} {InternetPort} >/tmp/who 2>&1 && grep -q '^\[' /tmp/who && break
              sleep 2
            done
            echo "KRAUT-TEST-SEEN-AS=$(tail -n 1 /tmp/who)"
            """);
        PeerVmId = await CreateGuestAsync("traffic-peer", PeerIp, null);
        await WaitForConsoleAsync(WebVmId, "KRAUT-TEST-PORTS=up", Boot);
        await GuestConsole.WaitForReadyAsync(Portal.ConsoleFor(PeerVmId), Boot);
    }

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    /// <summary>
    /// Asserts the port does not answer from the internet, three times over: three probes (each waits
    /// <see cref="RouterLab.Probe"/>), started <see cref="ProbeSpacing"/> apart so they overlap. One after the other they
    /// took 9 s of every "does not answer"; overlapping, 5 s, still three connections spread over a window longer than
    /// one probe, so a guest that stalls for one probe's time does not pass the check alone.
    /// </summary>
    public async Task ExpectNoAnswerAsync(int port, string? from = null, string? host = null, ProbeOutcome expected = ProbeOutcome.TimedOut)
    {
        var probes = await Task.WhenAll(Enumerable.Range(0, 3).Select(async i =>
        {
            await Task.Delay(ProbeSpacing * i);
            return await FromInternetAsync(port, from, host);
        }));
        foreach (var probe in probes)
            Assert.True(probe.Outcome == expected, $"{host ?? WebIp}:{port} from {from ?? Client1}: expected {expected}, got {probe}");
    }
}
