using KrautPortal.Features.Networks;
using KrautPortal.Features.Vms;
using KrautPortal.Features.Vms.CloudInit;
using YamlDotNet.RepresentationModel;

namespace KrautPortal.Tests.CloudInit;

/// <summary>What goes into a VM's NoCloud seed, read back with a YAML parser as cloud-init would.</summary>
public sealed class SeedDocumentsTests
{
    private static readonly Guid VmId = Guid.Parse("0196f0aa-1111-7222-8333-444455556666");

    internal static VmSpec Spec(params VmNic[] nics) => new() { ImageId = Guid.NewGuid(), MachineTypeId = Guid.NewGuid(), Nics = nics };

    internal static VmNic Nic(string mac, string? v4 = null, string? v6 = null) =>
        new() { Id = Guid.NewGuid(), NetworkId = Guid.NewGuid(), Mac = mac, Ipv4Address = v4, Ipv6Address = v6 };

    private static YamlMappingNode Load(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static YamlMappingNode Ethernet(string networkConfig, int index = 0)
    {
        var root = Load(networkConfig);
        Assert.Equal("2", root["version"].ToString());
        return (YamlMappingNode)((YamlMappingNode)root["ethernets"])[$"nic{index}"];
    }

    private static List<string> Strings(YamlNode node) => ((YamlSequenceNode)node).Children.Select(c => c.ToString()).ToList();

    [Fact]
    public void StaticNic_GetsItsAddressGatewayDnsRoutesAndMtu_MatchedByMac()
    {
        var network = new NetworkSpec
        {
            Ipv4Cidr = "10.20.0.0/24", Ipv4Mode = Ipv4Mode.Static, Gateway = new GatewaySpec { Kind = GatewayKind.Host },
            DnsServers = ["10.20.0.53"], DnsDomain = "lab.example", Mtu = 1400, Routes = [new RouteSpec("10.9.0.0/16", "10.20.0.7")],
        };
        var nic = Nic("52:54:00:AB:00:01", v4: "10.20.0.5");
        var yaml = NetworkConfigWriter.Write([new SeedNic(nic, network, "10.20.0.1", null)]);

        var eth = Ethernet(yaml);
        Assert.Equal("52:54:00:ab:00:01", ((YamlMappingNode)eth["match"])["macaddress"].ToString());
        Assert.Equal("false", eth["dhcp4"].ToString());
        Assert.Equal("false", eth["dhcp6"].ToString());
        Assert.Equal(["10.20.0.5/24"], Strings(eth["addresses"]));
        var routes = ((YamlSequenceNode)eth["routes"]).Children.Cast<YamlMappingNode>().Select(r => $"{r["to"]} via {r["via"]}").ToList();
        Assert.Equal(["0.0.0.0/0 via 10.20.0.1", "10.9.0.0/16 via 10.20.0.7"], routes);
        var ns = (YamlMappingNode)eth["nameservers"];
        Assert.Equal(["10.20.0.53"], Strings(ns["addresses"]));
        Assert.Equal(["lab.example"], Strings(ns["search"]));
        Assert.Equal("1400", eth["mtu"].ToString());
        // Quoted, so YAML 1.1 readers (cloud-init's PyYAML) cannot take an all-digit MAC for a base-60 number.
        Assert.Contains("macaddress: \"52:54:00:ab:00:01\"", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void DhcpNic_AsksForDhcp_AndCarriesNoAddressOrRoutes()
    {
        var network = new NetworkSpec { Ipv4Cidr = "10.30.0.0/24", Ipv4Mode = Ipv4Mode.Dhcp, Gateway = new GatewaySpec { Kind = GatewayKind.Host }, DnsServers = ["1.1.1.1"] };
        var eth = Ethernet(NetworkConfigWriter.Write([new SeedNic(Nic("52:54:00:00:00:02", v4: "10.30.0.9"), network, "10.30.0.1", null)]));

        Assert.Equal("true", eth["dhcp4"].ToString());
        Assert.Equal("false", eth["dhcp6"].ToString());
        Assert.Equal("false", eth["accept-ra"].ToString());
        Assert.False(eth.Children.ContainsKey("addresses"));
        Assert.False(eth.Children.ContainsKey("routes"));
        Assert.False(eth.Children.ContainsKey("nameservers"));
    }

    [Theory]
    [InlineData(Ipv6Mode.Slaac, "false", "true")]
    [InlineData(Ipv6Mode.Dhcpv6, "true", "true")]
    [InlineData(Ipv6Mode.Static, "false", "false")]
    public void Ipv6Modes_MapToDhcp6AndAcceptRa(Ipv6Mode mode, string dhcp6, string acceptRa)
    {
        var network = new NetworkSpec { Ipv6Prefix = "fd00:20::/64", Ipv6Mode = mode, Gateway = new GatewaySpec { Kind = GatewayKind.Host } };
        var gateway = NetworkConfigWriter.FirstAddress(network.Ipv6Prefix);
        var eth = Ethernet(NetworkConfigWriter.Write([new SeedNic(Nic("52:54:00:00:00:03", v6: "fd00:20::5"), network, null, gateway)]));

        Assert.Equal("false", eth["dhcp4"].ToString());
        Assert.Equal(dhcp6, eth["dhcp6"].ToString());
        Assert.Equal(acceptRa, eth["accept-ra"].ToString());
        if (mode == Ipv6Mode.Static)
        {
            Assert.Equal(["fd00:20::5/64"], Strings(eth["addresses"]));
            var route = (YamlMappingNode)((YamlSequenceNode)eth["routes"]).Children.Single();
            Assert.Equal("::/0", route["to"].ToString());
            Assert.Equal("fd00:20::1", route["via"].ToString());
        }
        else
        {
            Assert.False(eth.Children.ContainsKey("addresses"));
        }
    }

    [Fact]
    public void MetaData_HasTheVmIdHostnameAndKeys()
    {
        var key = TestKeys.Ed25519();
        var seed = SeedDocuments.For(VmId, "Web Server #1", Spec() with { SshAuthorizedKeys = [key] }, []);

        var meta = Load(seed.MetaData);
        Assert.Equal(VmId.ToString("D"), meta["instance-id"].ToString());
        Assert.Equal("web-server-1", meta["local-hostname"].ToString());
        Assert.Equal([key], Strings(meta["public-keys"]));

        var withHostname = SeedDocuments.For(VmId, "Web Server #1", Spec() with { Hostname = "www" }, []);
        Assert.Equal("www", Load(withHostname.MetaData)["local-hostname"].ToString());
    }

    [Theory]
    [InlineData("Müller's Büro", "muller-s-buro")]
    [InlineData("--web--01--", "web-01")]
    [InlineData("12345", "vm-0196f0aa")]
    [InlineData("日本", "vm-0196f0aa")]
    public void HostnameFromName_IsASafeLabel(string name, string expected)
    {
        var hostname = GuestHostname.FromName(name, VmId);
        Assert.Equal(expected, hostname);
        Assert.True(GuestHostname.IsValid(hostname));
    }

    [Fact]
    public void HostnameFromName_IsCutTo63Characters()
    {
        var hostname = GuestHostname.FromName(new string('a', 62) + "-bbb", VmId);
        Assert.Equal(new string('a', 62), hostname);
    }

    [Fact]
    public void UserData_WithoutUserText_IsACloudConfigWithTheKeys()
    {
        var keys = new[] { TestKeys.Ed25519(), TestKeys.Rsa() };
        var userData = UserDataWriter.Write(null, keys);

        Assert.StartsWith("#cloud-config\n", userData, StringComparison.Ordinal);
        Assert.Equal(keys, Strings(Load(userData)["ssh_authorized_keys"]));
        Assert.StartsWith("#cloud-config\n", UserDataWriter.Write(null, []), StringComparison.Ordinal);
    }

    [Fact]
    public void UserData_CloudConfig_GetsTheKeysAdded_KeepingItsOwn()
    {
        var own = TestKeys.EcdsaP256();
        var profile = TestKeys.Ed25519();
        var user = $"#cloud-config\npackages:\n  - nginx\nssh_authorized_keys:\n  - {own}\n";

        var merged = Load(UserDataWriter.Write(user, [profile, own]));

        Assert.Equal([own, profile], Strings(merged["ssh_authorized_keys"]));
        Assert.Equal(["nginx"], Strings(merged["packages"]));
    }

    [Fact]
    public void UserData_Script_IsKeptByteForByte_AndKeysGoToMetaData()
    {
        const string script = "#!/bin/sh\necho hi   # spacing kept\n";
        var key = TestKeys.Ed25519();
        var seed = SeedDocuments.For(VmId, "s", Spec() with { UserData = script, SshAuthorizedKeys = [key] }, []);

        Assert.Equal(script, seed.UserData);
        Assert.Equal([key], Strings(Load(seed.MetaData)["public-keys"]));
    }

    [Fact]
    public void UserData_Problem_NamesBrokenCloudConfig()
    {
        Assert.Null(UserDataWriter.Problem("#!/bin/sh\n: ["));
        Assert.Null(UserDataWriter.Problem("#cloud-config\nruncmd: [ls]\n"));
        Assert.Contains("not valid YAML", UserDataWriter.Problem("#cloud-config\nruncmd: [ls\n"), StringComparison.Ordinal);
        Assert.Contains("mapping", UserDataWriter.Problem("#cloud-config\n- a\n- b\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void Hash_ChangesWithAnyFile()
    {
        var a = SeedDocuments.For(VmId, "a", Spec(), []);
        Assert.Equal(a.Hash, SeedDocuments.For(VmId, "a", Spec(), []).Hash);
        Assert.NotEqual(a.Hash, SeedDocuments.For(VmId, "b", Spec(), []).Hash);
        Assert.NotEqual(a.Hash, SeedDocuments.For(VmId, "a", Spec() with { UserData = "#!/bin/sh\n" }, []).Hash);
    }
}
