using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Networks.Span;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Consoles;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;
using Xunit.Abstractions;

namespace KrautPortal.Tests.RemoteHosts;

/// <summary>
/// A network whose VMs sit on two hosts is one L2 segment: this machine's libvirtd and a <see cref="SimulatedHost"/>
/// (reached over qemu+tcp, its host agent over SSH with the README's forced-command key), one real test guest on each;
/// the guest here pings the guest there through the VXLAN links the portal made on both bridges, and the links go when
/// the network no longer has VMs on two hosts (one whose agent cannot be reached is reported, and retried until it answers).
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class HostSpanTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);
    private const string Local = TestHosts.System;
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("kraut-test-").FullName;
    private SimulatedHost _host = null!;
    private SimulatedHostSshd _sshd = null!;
    private SpanPortal _web = null!;

    public async Task InitializeAsync()
    {
        Tool.PackagedFile("/usr/bin/qemu-system-x86_64", "qemu-system-x86");
        Tool.PackagedFile("/usr/bin/nsenter", "util-linux");
        Tool.PackagedFile("/usr/bin/ssh", "openssh-client");
        SeedImages.Put(_dataDirectory, SeedImages.Guest);
        _host = await SimulatedHost.StartAsync([_dataDirectory]);
        _sshd = await SimulatedHostSshd.StartAsync(_host);
        var subnet = _host.Subnet.ToString(CultureInfo.InvariantCulture);
        _web = new SpanPortal(_dataDirectory, new Dictionary<string, string?>
        {
            ["Kraut:Hosts:1"] = _host.Uri,
            ["Kraut:HostSpan:SshIdentity"] = _sshd.Identity,
            ["Kraut:HostSpan:SshKnownHosts"] = _sshd.KnownHosts,
            // This machine is reached by the simulated host on its end of the veth.
            ["Kraut:HostSpan:Hosts:0:Uri"] = Local,
            ["Kraut:HostSpan:Hosts:0:Address"] = $"10.255.{subnet}.1",
            ["Kraut:HostSpan:Hosts:1:Uri"] = _host.Uri,
            ["Kraut:HostSpan:Hosts:1:Address"] = _host.Address,
            ["Kraut:HostSpan:Hosts:1:Ssh"] = _sshd.Target,
        });
        await Eventually.WaitUntilAsync(async () => JsonNode.Parse(await _web.God.GetStringAsync("/api/v1/hosts"))!.AsArray()
            .All(h => (bool)h!["reachable"]!), Settle, "both hosts reachable");
    }

    [Fact]
    public async Task GuestsOnTwoHosts_ReachEachOtherOverTheNetworksVxlan_AndTheLinksGoWhenOneHostHasNoVmLeft_RetriedWhileTheAgentIsDown()
    {
        var prefix = TestSubnets.FreePrefix(130, 150);
        // Made by an administrator for alice: her own address pool would not reach the test band.
        var networkId = await _web.Api.CreateAsync("networks", new JsonObject
        {
            ["name"] = ApiClient.UniqueName("span"),
            ["owner"] = "alice",
            ["metadata"] = new JsonObject(),
            ["spec"] = new JsonObject { ["ipv4Cidr"] = $"{prefix}.0/24", ["ipv4Mode"] = "dhcp" },
        });
        var span = _web.App.Service<HostSpan>();
        var link = span.LinkName(networkId);

        var started = System.Diagnostics.Stopwatch.StartNew();
        var here = await VmOnAsync(Local, networkId, $"{prefix}.10");
        var there = await VmOnAsync(_host.Uri, networkId, $"{prefix}.11");
        await _web.Api.WaitForPhaseAsync(here, "running", Boot);
        await _web.Api.WaitForPhaseAsync(there, "running", Boot);
        output.WriteLine($"both guests running after {started.Elapsed.TotalSeconds:0.0} s");

        // Both hosts joined, each link flooding to the other host.
        var status = await WaitForNetworkAsync(networkId, s => s["span"] is JsonArray a && a.Count == 2
            && a.All(l => (bool)l!["joined"]! && (string?)l["state"] is not ("failed" or null)), "both hosts joined in the network's status");
        output.WriteLine(status["span"]!.ToJsonString());
        var localLink = HostLinks.Show(link) ?? throw new InvalidOperationException($"no {link} here");
        Assert.Equal(HostSpan.Vni(networkId), HostLinks.Vni(localLink));
        Assert.Equal(8472, HostLinks.Port(localLink));
        Assert.Equal([_host.Address], HostLinks.Remotes(link));
        Assert.NotNull(HostLinks.Master(localLink));
        var remoteLink = _host.TryInside("ip", "-d", "-o", "link", "show", "dev", link);
        Assert.True(remoteLink.ExitCode == 0, remoteLink.StdErr);
        Assert.Contains($"vxlan id {HostSpan.Vni(networkId).ToString(CultureInfo.InvariantCulture)} ", remoteLink.StdOut, StringComparison.Ordinal);
        Assert.Contains(" master virbr", remoteLink.StdOut, StringComparison.Ordinal);
        var remoteFdb = _host.TryInside("bridge", "fdb", "show", "dev", link).StdOut;
        Assert.Contains($"00:00:00:00:00:00 dst 10.255.{_host.Subnet.ToString(CultureInfo.InvariantCulture)}.1 ", remoteFdb, StringComparison.Ordinal);

        // The guest here pings the guest there: one L2 segment (ARP crosses the VXLAN too).
        using (var console = GuestSerial.Open(Local, here))
        {
            await console.WaitForShellAsync(Boot);
            await Eventually.WaitUntilAsync(async () =>
            {
                // Arithmetic in the command, so only the shell's answer (not the echoed keystrokes) has the 42.
                var token = Guid.NewGuid().ToString("N")[..8];
                var since = console.Length;
                await console.SendLineAsync($"ping -c 1 -W 2 {prefix}.11 >/dev/null 2>&1 && echo span-{token}-$((40+2))");
                try
                {
                    await console.WaitForAsync($"span-{token}-42", TimeSpan.FromSeconds(8), since);
                    return true;
                }
                catch (TimeoutException)
                {
                    return false;
                }
            }, Boot, $"{prefix}.10 (on {Local}) pinging {prefix}.11 (on {_host.Uri})");
        }
        output.WriteLine($"ping across hosts after {started.Elapsed.TotalSeconds:0.0} s");

        // The guest there goes while that host's agent cannot be reached: the network has VMs on one host only, so the
        // link here goes at once; the one there stays, and the status says why, until the agent answers again.
        _sshd.Stop();
        await _web.Api.DeleteVmAsync(there);
        var stuck = await WaitForNetworkAsync(networkId, s => s["span"] is JsonArray { Count: 1 } a && (string?)a[0]!["state"] == "failed",
            "the unreachable host reported in the span");
        Assert.Equal(_host.Uri, (string?)stuck["span"]![0]!["host"]);
        Assert.False((bool)stuck["span"]![0]!["joined"]!);
        Assert.Contains("Spanning hosts: " + _host.Uri, (string?)stuck["message"], StringComparison.Ordinal);
        Assert.Null(HostLinks.Show(link));
        Assert.Equal(0, _host.TryInside("ip", "link", "show", "dev", link).ExitCode);

        await _sshd.RestartAsync();
        await WaitForNetworkAsync(networkId, s => s["span"] is JsonArray { Count: 0 } && s["message"] is null, "the retry to remove the link there");
        Assert.NotEqual(0, _host.TryInside("ip", "link", "show", "dev", link).ExitCode);

        await _web.Api.DeleteVmAsync(here);
        await Eventually.WaitUntilAsync(async () => await _web.Api.GetVmAsync(here) is null, Settle, "the VM here deleted");
        using var deleted = await _web.As("alice").DeleteAsync($"/api/v1/networks/{networkId}");
        Assert.True(deleted.IsSuccessStatusCode, await deleted.Content.ReadAsStringAsync());
    }

    /// <summary>A running VM of alice's on <paramref name="host"/> (the other host cordoned while it is placed).</summary>
    private async Task<Guid> VmOnAsync(string host, Guid networkId, string address)
    {
        var other = host == Local ? _host.Uri : Local;
        await CordonAsync(other, true);
        try
        {
            return await _web.Api.CreateAsync("vms", new JsonObject
            {
                ["name"] = ApiClient.UniqueName("span"),
                ["owner"] = "alice",
                ["spec"] = new JsonObject
                {
                    ["imageId"] = (await _web.Api.IdOfAsync("images", "kraut-test-guest")).ToString(),
                    ["machineTypeId"] = (await _web.Api.IdOfAsync("machine-types", "small")).ToString(),
                    ["memoryMiB"] = 256,
                    ["diskGiB"] = 1,
                    ["power"] = "running",
                    ["nics"] = new JsonArray(new JsonObject { ["networkId"] = networkId.ToString(), ["ipv4Address"] = address }),
                },
            });
        }
        finally
        {
            await CordonAsync(other, false);
        }
    }

    private async Task CordonAsync(string host, bool cordon)
    {
        using var response = await _web.God.PostAsync($"/api/v1/hosts/{HostIds.For(host)}/{(cordon ? "cordon" : "uncordon")}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<JsonObject> WaitForNetworkAsync(Guid id, Func<JsonObject, bool> condition, string what)
    {
        JsonObject? last = null;
        try
        {
            await Eventually.WaitUntilAsync(async () =>
                condition(last = JsonNode.Parse(await _web.God.GetStringAsync($"/api/v1/networks/{id}"))!["status"]!.AsObject()), Settle, what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; last seen: {last?.ToJsonString()}", e);
        }
        return last!;
    }

    public Task DisposeAsync()
    {
        // The data directory is this test's, so the portal leaves this machine's libvirtd to it: its domains and
        // networks (and a span link a failed run left) go here.
        var instance = _web?.App.Service<Features.Reconciling.KrautInstance>();
        _web?.Dispose();
        if (instance is not null)
        {
            foreach (var name in Tool.Run("ip", "-o", "link", "show", "type", "vxlan").Split('\n')
                         .Select(l => l.Split(':', StringSplitOptions.TrimEntries).ElementAtOrDefault(1) ?? "")
                         .Where(n => n.StartsWith("ky" + instance.ShortId[..4], StringComparison.Ordinal)))
                HostLinks.Delete(name);
            LibvirtCleanup.RemoveInstance(Local, instance.Id);
        }
        _sshd?.Dispose();
        _host?.Dispose();
        Directory.Delete(_dataDirectory, recursive: true);
        return Task.CompletedTask;
    }

    private sealed class SpanPortal(string dataDirectory, Dictionary<string, string?> settings)
        : ConsolePortal(Local, SeedImages.Guest, settings, dataDirectory);
}
