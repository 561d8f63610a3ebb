using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Cli;

/// <summary>A portal with a second host on libvirt's test driver, so a drain has somewhere to move VMs to.</summary>
public sealed class CliTwoHostPortal : CliPortal
{
    private static readonly string Directory = System.IO.Directory.CreateTempSubdirectory("kraut-cli-hosts-").FullName;

    public CliTwoHostPortal()
        : base(new KrautAppFactory(KrautAppFactory.TestDriver, "blank", new Dictionary<string, string?> { ["Kraut:Hosts:1"] = SecondHost }))
    {
    }

    /// <summary>A test-driver host of its own (a node description file): 8 CPUs, 16 GiB.</summary>
    public static string SecondHost { get; } = WriteSecondHost();

    private static string WriteSecondHost()
    {
        var file = Path.Combine(Directory, "second-host.xml");
        File.WriteAllText(file, """
            <node>
              <cpu><mhz>2000</mhz><model>x86_64</model><active>8</active><nodes>1</nodes><sockets>1</sockets><cores>8</cores><threads>1</threads></cpu>
              <memory>16777216</memory>
            </node>
            """);
        return "test://" + file;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary><c>kraut host drain</c>: the host's VMs move to the other host, and the list reports the drain.</summary>
public sealed class CliDrainTests(CliTwoHostPortal portal) : IClassFixture<CliTwoHostPortal>
{
    [Fact]
    public async Task Drain_MovesTheHostsStoppedVm_ToTheOtherHost_AndHostListReportsTheDrainDone()
    {
        var vm = ApiClient.UniqueName("drain");
        // Placed on the second host: the first one is cordoned while the VM is made.
        await portal.ExpectAsync(0, "host", "cordon", KrautAppFactory.TestDriver);
        try
        {
            await portal.ExpectAsync(0, "vm", "create", vm, "--image", "kraut-test-guest", "--network", "default", "--type", "small", "--stopped",
                "--wait", "--timeout", "50s");
        }
        finally
        {
            await portal.ExpectAsync(0, "host", "uncordon", KrautAppFactory.TestDriver);
        }
        try
        {
            Assert.Equal(CliTwoHostPortal.SecondHost, (string?)JsonNode.Parse((await portal.ExpectAsync(0, "vm", "get", vm, "-o", "json")).Out)!["status"]!["host"]);

            var started = await portal.ExpectAsync(0, "host", "drain", CliTwoHostPortal.SecondHost);
            Assert.Contains("DRAIN", started.Out, StringComparison.Ordinal);
            JsonNode? drained = null;
            await Eventually.WaitUntilAsync(async () =>
            {
                var hosts = JsonNode.Parse((await portal.ExpectAsync(0, "host", "list", "-o", "json")).Out)!.AsArray();
                drained = hosts.Single(h => (string?)h!["uri"] == CliTwoHostPortal.SecondHost);
                return drained!["drain"]?["finishedAt"] is not null;
            }, TimeSpan.FromSeconds(45), "the drain finished");
            Assert.NotNull(drained!["cordon"]);
            var table = (await portal.ExpectAsync(0, "host", "list")).Out;
            Assert.Contains("done: 1/1 moved", table, StringComparison.Ordinal);
            var moved = JsonNode.Parse((await portal.ExpectAsync(0, "vm", "get", vm, "-o", "json")).Out)!;
            Assert.Equal(KrautAppFactory.TestDriver, (string?)moved["status"]!["host"]);
            Assert.Equal("stopped", (string?)moved["status"]!["phase"]);
        }
        finally
        {
            await portal.RunAsync("host", "uncordon", CliTwoHostPortal.SecondHost);
            await portal.RunAsync("vm", "delete", vm, "--yes", "--wait", "--timeout", "50s");
        }
    }
}
