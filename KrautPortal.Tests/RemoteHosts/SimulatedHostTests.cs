using System.Diagnostics;
using System.Globalization;
using KrautPortal.TestSupport;
using Xunit.Abstractions;

namespace KrautPortal.Tests.RemoteHosts;

/// <summary>The simulated host itself: a start cleans up after a crashed run, and a stop leaves nothing behind.</summary>
[Collection(Support.RealQemuCollection.Name)]
public sealed class SimulatedHostTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Start_RemovesTheLeftoversOfACrashedRun_AndDispose_RemovesEverythingItMade()
    {
        // A run that died without cleaning up: its namespace, link and directory carry a process id no longer alive.
        using var gone = Process.Start(new ProcessStartInfo("true")) ?? throw new InvalidOperationException("could not start true");
        await gone.WaitForExitAsync();
        var crashed = $"kraut-simhost-{gone.Id.ToString(CultureInfo.InvariantCulture)}-251";
        Tool.Run("ip", "netns", "add", crashed);
        Tool.Run("ip", "link", "add", "ksv251", "type", "veth", "peer", "name", "ksp251");
        var crashedDir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), crashed + "-left")).FullName;
        try
        {
            string ns, link, data;
            using (var host = await SimulatedHost.StartAsync([]))
            {
                output.WriteLine($"started in {host.StartTime.TotalSeconds:0.00} s");
                Assert.DoesNotContain(crashed, Tool.Run("ip", "netns", "list"));
                Assert.NotEqual(0, Tool.Try("ip", "link", "show", "ksv251").ExitCode);
                Assert.False(Directory.Exists(crashedDir));
                Assert.Equal(host.Uri, host.Virsh("uri"));
                (ns, link, data) = (host.Namespace, host.HostLink, host.DataDirectoryOutside);
            }
            Assert.DoesNotContain(ns, Tool.Run("ip", "netns", "list"));
            Assert.NotEqual(0, Tool.Try("ip", "link", "show", link).ExitCode);
            Assert.False(Directory.Exists(data));
        }
        finally
        {
            Tool.Try("ip", "netns", "del", crashed);
            Tool.Try("ip", "link", "del", "ksv251");
            if (Directory.Exists(crashedDir)) Directory.Delete(crashedDir);
        }
    }
}
