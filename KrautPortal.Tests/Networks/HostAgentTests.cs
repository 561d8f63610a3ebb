using System.Diagnostics;
using KrautPortal.Features.Networks.Span;
using KrautPortal.TestSupport;
using Microsoft.Extensions.Options;

namespace KrautPortal.Tests.Networks;

/// <summary>
/// The host agent (scripts/kraut-host-net) runs as root from a forced SSH command: every word of its one request line is
/// checked before anything runs. These run it here with a request on stdin; refused requests change nothing.
/// </summary>
public sealed class HostAgentTests
{
    [Theory]
    [InlineData("ensure ky1234abcd virbr3 100 8472 auto 10.0.0.2,10.0.0.3")]
    [InlineData("ensure ky1 kr-net.0 16777215 65535 1450 192.168.1.1")]
    [InlineData("remove ky1234abcd")]
    public async Task WellFormedRequests_AreValid(string request)
    {
        var (code, stdout, stderr) = await RunAgentAsync(request, checkOnly: true);
        Assert.True(code == 0, stderr);
        Assert.Equal("valid", stdout.Trim());
    }

    [Theory]
    [InlineData("", "no request")]
    [InlineData("reboot", "unknown request")]
    [InlineData("remove lo", "not a Kraut span link name")]
    [InlineData("remove eth0", "not a Kraut span link name")]
    [InlineData("remove kyabc extra", "remove takes")]
    [InlineData("ensure kyabcdefghijklmn virbr3 100 8472 auto 10.0.0.2", "not a Kraut span link name")]
    [InlineData("ensure kyabc eth0 100 8472 auto 10.0.0.2", "not a libvirt network bridge name")]
    [InlineData("ensure kyabc virbr3 0 8472 auto 10.0.0.2", "VNI '0'")]
    [InlineData("ensure kyabc virbr3 16777216 8472 auto 10.0.0.2", "VNI '16777216'")]
    [InlineData("ensure kyabc virbr3 0100 8472 auto 10.0.0.2", "VNI '0100'")]
    [InlineData("ensure kyabc virbr3 100 70000 auto 10.0.0.2", "port '70000'")]
    [InlineData("ensure kyabc virbr3 100 8472 67 10.0.0.2", "MTU '67'")]
    [InlineData("ensure kyabc virbr3 100 8472 auto 10.0.0.256", "not an IPv4 address")]
    [InlineData("ensure kyabc virbr3 100 8472 auto 10.1", "not an IPv4 address")]
    [InlineData("ensure kyabc virbr3 100 8472 auto 239.1.1.1", "not a unicast address")]
    [InlineData("ensure kyabc virbr3 100 8472 auto 127.0.0.1", "not a unicast address")]
    [InlineData("ensure kyabc virbr3 100 8472 auto 10.0.0.2,", "not a list of IPv4 addresses")]
    [InlineData("ensure kyabc virbr3 100 8472 auto ,10.0.0.2", "not a list of IPv4 addresses")]
    [InlineData("ensure kyabc virbr3 100 8472 auto 10.0.0.2,,10.0.0.3", "not a list of IPv4 addresses")]
    [InlineData("ensure kyabc virbr3 100 8472 auto", "ensure takes")]
    [InlineData("ensure kyabc virbr3 100 8472 auto 10.0.0.2;reboot", "characters outside")]
    [InlineData("ensure kyabc $(reboot) 100 8472 auto 10.0.0.2", "characters outside")]
    [InlineData("remove ../../etc/passwd", "characters outside")]
    public async Task MalformedRequests_AreRefusedBeforeAnythingRuns(string request, string reason)
    {
        // Not in check-only mode: a refusal must come before the first command that could change the host.
        var (code, stdout, stderr) = await RunAgentAsync(request, checkOnly: false);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("refused: ", stderr, StringComparison.Ordinal);
        Assert.Contains(reason, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnlyTheFirstLine_IsTheRequest()
    {
        var (code, _, stderr) = await RunAgentAsync("remove kyabc\nremove lo", checkOnly: true);
        Assert.True(code == 0, stderr);
    }

    [Theory]
    [InlineData("qemu+ssh://root@192.0.2.7/system", "192.0.2.7", "root@192.0.2.7")]
    [InlineData("qemu+ssh://kraut@192.0.2.7:2222/system", "192.0.2.7", "kraut@192.0.2.7:2222")]
    [InlineData("qemu+ssh://kraut@hv1.example/system", null, "kraut@hv1.example")]
    [InlineData("qemu+tcp://192.0.2.8/system", "192.0.2.8", null)]
    [InlineData("qemu:///system", null, null)]
    public void HostSettings_AreDerivedFromTheUri_WhereNotGiven(string uri, string? address, string? ssh)
    {
        var settings = new HostSpanOptions().For(uri);
        Assert.Equal(address, settings.Address);
        Assert.Equal(ssh, settings.Ssh);
    }

    [Fact]
    public void GivenHostSettings_WinOverTheUri()
    {
        var options = new HostSpanOptions { Hosts = [new HostSpanHost { Uri = "qemu+ssh://root@192.0.2.7/system", Address = "198.51.100.7", Ssh = "agent@192.0.2.70" }] };
        var settings = options.For("qemu+ssh://root@192.0.2.7/system");
        Assert.Equal("198.51.100.7", settings.Address);
        Assert.Equal("agent@192.0.2.70", settings.Ssh);
    }

    [Theory]
    [InlineData("-oProxyCommand=reboot")]
    [InlineData("root@host name")]
    [InlineData("")]
    public async Task SshTargets_ThatCouldBeReadAsOptions_AreRefused(string target)
    {
        var agent = new HostAgent(Options.Create(new HostSpanOptions()));
        await Assert.ThrowsAsync<HostAgentException>(() => agent.SendAsync(target, "remove kyabc", CancellationToken.None));
    }

    [Fact]
    public void Vni_IsStablePerNetwork_AndInRange()
    {
        var id = Guid.Parse("00000000-1111-2222-3333-444444444444");
        Assert.Equal(1, HostSpan.Vni(id));
        Assert.Equal(0xabcdef, HostSpan.Vni(Guid.Parse("abcdef00-1111-2222-3333-444444444444")));
        Assert.Equal(HostSpan.Vni(Guid.Parse("abcdef00-1111-2222-3333-444444444444")), HostSpan.Vni(Guid.Parse("abcdef00-1111-2222-3333-444444444444")));
    }

    private static async Task<(int Code, string StdOut, string StdErr)> RunAgentAsync(string request, bool checkOnly)
    {
        Tool.PackagedFile("/bin/bash", "bash");
        var psi = new ProcessStartInfo(RepoPaths.Script("kraut-host-net"))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (checkOnly) psi.Environment["KRAUT_HOST_NET_CHECK_ONLY"] = "1";
        else psi.Environment.Remove("KRAUT_HOST_NET_CHECK_ONLY");
        using var process = Process.Start(psi)!;
        await process.StandardInput.WriteAsync(request.Length == 0 ? "" : request + "\n");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        return (process.ExitCode, await stdout, await stderr);
    }
}
