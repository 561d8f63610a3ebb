using KrautPortal.Features.Networks;
using KrautPortal.Features.Vms.CloudInit;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.CloudInit;

/// <summary>
/// The test guest's seed reader (scripts/guest-image/*.awk, run by busybox awk as in the guest) reads what
/// Kraut writes: the two sides of the seed agree without booting a VM.
/// </summary>
public sealed class GuestSeedParserTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kraut-guest-awk-").FullName;

    private string GuestAwk(string script, string input)
    {
        var file = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        File.WriteAllText(file, input);
        return Tool.Run("busybox", "awk", "-f", Path.Combine(RepoPaths.Root, "scripts", "guest-image", script), file);
    }

    [Fact]
    public void NetworkConfig_IsReadAsFactsPerMac()
    {
        var staticNet = new NetworkSpec
        {
            Ipv4Cidr = "10.20.0.0/24", Ipv4Mode = Ipv4Mode.Static, Ipv6Prefix = "fd00:20::/64", Ipv6Mode = Ipv6Mode.Static,
            DnsServers = ["10.20.0.53"], DnsDomain = "lab.example", Mtu = 1400, Routes = [new RouteSpec("10.9.0.0/16", "10.20.0.7")],
        };
        var dhcpNet = new NetworkSpec { Ipv4Cidr = "10.30.0.0/24", Ipv6Prefix = "fd00:30::/64", Ipv6Mode = Ipv6Mode.Dhcpv6 };
        var yaml = NetworkConfigWriter.Write([
            new SeedNic(SeedDocumentsTests.Nic("52:54:00:00:00:01", v4: "10.20.0.5", v6: "fd00:20::5"), staticNet, "10.20.0.1", "fd00:20::1"),
            new SeedNic(SeedDocumentsTests.Nic("52:54:00:00:00:02"), dhcpNet, null, null),
        ]);

        var facts = GuestAwk("netcfg.awk", GuestAwk("yaml.awk", yaml) + "\n").Split('\n');

        Assert.Equal([
            "52:54:00:00:00:01 dhcp4 false",
            "52:54:00:00:00:01 dhcp6 false",
            "52:54:00:00:00:01 accept-ra false",
            "52:54:00:00:00:01 addr 10.20.0.5/24",
            "52:54:00:00:00:01 addr fd00:20::5/64",
            "52:54:00:00:00:01 route 0.0.0.0/0 10.20.0.1",
            "52:54:00:00:00:01 route ::/0 fd00:20::1",
            "52:54:00:00:00:01 route 10.9.0.0/16 10.20.0.7",
            "52:54:00:00:00:01 dns 10.20.0.53",
            "52:54:00:00:00:01 search lab.example",
            "52:54:00:00:00:01 mtu 1400",
            "52:54:00:00:00:02 dhcp4 true",
            "52:54:00:00:00:02 dhcp6 true",
            "52:54:00:00:00:02 accept-ra true",
        ], facts);
    }

    [Fact]
    public void MetaDataAndCloudConfig_GiveHostnameAndKeys()
    {
        var keys = new[] { TestKeys.Ed25519(), TestKeys.Rsa() };
        var seed = SeedDocuments.For(Guid.NewGuid(), "My VM", SeedDocumentsTests.Spec() with { SshAuthorizedKeys = keys }, []);

        var meta = GuestAwk("yaml.awk", seed.MetaData).Split('\n');
        Assert.Contains("local-hostname\tmy-vm", meta);
        Assert.Contains($"public-keys/-1\t{keys[0]}", meta);
        Assert.Contains($"public-keys/-2\t{keys[1]}", meta);

        var user = GuestAwk("yaml.awk", seed.UserData).Split('\n');
        Assert.Equal(keys, user.Where(l => l.StartsWith("ssh_authorized_keys/", StringComparison.Ordinal)).Select(l => l.Split('\t')[1]));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
