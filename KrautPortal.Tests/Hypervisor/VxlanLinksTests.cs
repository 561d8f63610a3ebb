using KrautPortal.Hypervisor;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>VxlanLinks against the real kernel: a throw-away bridge and link per test, removed afterwards.</summary>
public sealed class VxlanLinksTests : IDisposable
{
    // "kxt" is never an instance prefix (those are kx + hex), so no portal's orphan collection touches these.
    private readonly string _bridge = "kxtb" + HostLinks.RandomSuffix(8);
    private readonly string _link = "kxtv" + HostLinks.RandomSuffix(8);
    private readonly int _vni = Random.Shared.Next(100_000, 16_000_000);

    public VxlanLinksTests() => Tool.Run("ip", "link", "add", _bridge, "type", "bridge");

    public void Dispose()
    {
        HostLinks.Delete(_link);
        HostLinks.Delete(_bridge);
    }

    private VxlanLinkDefinition Definition(params string[] remotes) => new(_link, _vni, 4790, remotes, null, null, null, _bridge);

    [Fact]
    public async Task Ensure_CreatesUpPortOfTheBridge_WithVniPortRemotesAndUnderlayMtuMinus50()
    {
        var state = await VxlanLinks.EnsureAsync(Definition("198.51.100.7", "198.51.100.8"), CancellationToken.None);

        var link = HostLinks.Show(_link)!.Value;
        Assert.Equal("vxlan", link.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Equal(_vni, HostLinks.Vni(link));
        Assert.Equal(4790, HostLinks.Port(link));
        Assert.False(link.GetProperty("linkinfo").GetProperty("info_data").GetProperty("learning").GetBoolean());
        Assert.Equal(_bridge, HostLinks.Master(link));
        Assert.Contains("UP", link.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(HostLinks.RouteMtu("198.51.100.7") - 50, link.GetProperty("mtu").GetInt32());
        Assert.Equal(["198.51.100.7", "198.51.100.8"], HostLinks.Remotes(_link));
        Assert.Equal(["198.51.100.7", "198.51.100.8"], state.Remotes.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Ensure_WithOtherRemotes_UpdatesTheFdbInPlace_WithOtherVni_ReplacesTheLink()
    {
        await VxlanLinks.EnsureAsync(Definition("198.51.100.7", "198.51.100.8"), CancellationToken.None);
        var ifindex = HostLinks.Show(_link)!.Value.GetProperty("ifindex").GetInt32();

        await VxlanLinks.EnsureAsync(Definition("198.51.100.8", "198.51.100.9"), CancellationToken.None);
        Assert.Equal(ifindex, HostLinks.Show(_link)!.Value.GetProperty("ifindex").GetInt32());
        Assert.Equal(["198.51.100.8", "198.51.100.9"], HostLinks.Remotes(_link));

        await VxlanLinks.EnsureAsync(Definition("198.51.100.9") with { Vni = _vni + 1, Mtu = 1300 }, CancellationToken.None);
        var replaced = HostLinks.Show(_link)!.Value;
        Assert.NotEqual(ifindex, replaced.GetProperty("ifindex").GetInt32());
        Assert.Equal(_vni + 1, HostLinks.Vni(replaced));
        Assert.Equal(1300, replaced.GetProperty("mtu").GetInt32());
        Assert.Equal(_bridge, HostLinks.Master(replaced));
        Assert.Equal(["198.51.100.9"], HostLinks.Remotes(_link));
    }

    [Fact]
    public async Task Ensure_PutsBackWhatWasChangedBehindItsBack()
    {
        await VxlanLinks.EnsureAsync(Definition("198.51.100.7"), CancellationToken.None);
        Tool.Run("ip", "link", "set", "dev", _link, "nomaster", "down");
        Tool.Run("bridge", "fdb", "append", "00:00:00:00:00:00", "dst", "198.51.100.66", "dev", _link);

        await VxlanLinks.EnsureAsync(Definition("198.51.100.7"), CancellationToken.None);
        var link = HostLinks.Show(_link)!.Value;
        Assert.Equal(_bridge, HostLinks.Master(link));
        Assert.Contains("UP", link.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(["198.51.100.7"], HostLinks.Remotes(_link));
    }

    [Fact]
    public async Task Ensure_WithAMulticastGroup_JoinsItOnTheRouteDevice_AndKeepsLearning()
    {
        var definition = new VxlanLinkDefinition(_link, _vni, 4790, [], "239.1.2.3", null, null, _bridge);
        await VxlanLinks.EnsureAsync(definition, CancellationToken.None);
        var ifindex = HostLinks.Show(_link)!.Value.GetProperty("ifindex").GetInt32();
        await VxlanLinks.EnsureAsync(definition, CancellationToken.None);

        var link = HostLinks.Show(_link)!.Value;
        var data = link.GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal(ifindex, link.GetProperty("ifindex").GetInt32()); // same definition, same link: nothing replaced
        Assert.Equal("239.1.2.3", data.GetProperty("group").GetString());
        Assert.Equal(System.Text.Json.JsonDocument.Parse(Tool.Run("ip", "-j", "route", "get", "239.1.2.3")).RootElement[0].GetProperty("dev").GetString(),
            data.GetProperty("link").GetString());
        Assert.True(data.GetProperty("learning").GetBoolean());
        Assert.Equal(_bridge, HostLinks.Master(link));
    }

    [Fact]
    public async Task RemoveAndList_SeeOnlyWhatIsThere()
    {
        await VxlanLinks.EnsureAsync(Definition(), CancellationToken.None);
        Assert.Contains(_link, await VxlanLinks.ListAsync("kxtv", CancellationToken.None));
        Assert.True(await VxlanLinks.RemoveAsync(_link, CancellationToken.None));
        Assert.Null(HostLinks.Show(_link));
        Assert.False(await VxlanLinks.RemoveAsync(_link, CancellationToken.None));
        Assert.Null(await VxlanLinks.FindAsync(_link, CancellationToken.None));
    }

    [Theory]
    [InlineData("-evil", 42, "198.51.100.7", null, "interface name")]
    [InlineData("kxtv-way-too-long", 42, "198.51.100.7", null, "interface name")]
    [InlineData("kxtvok", 0, "198.51.100.7", null, "VNI 0")]
    [InlineData("kxtvok", 16_777_216, "198.51.100.7", null, "VNI 16777216")]
    [InlineData("kxtvok", 42, "10.1", null, "not an IP address")]
    [InlineData("kxtvok", 42, "dev eth0", null, "not an IP address")]
    [InlineData("kxtvok", 42, "239.1.1.1", null, "unicast")]
    [InlineData("kxtvok", 42, "198.51.100.7", "239.1.1.1", "not both")]
    [InlineData("kxtvok", 42, null, "198.51.100.7", "not a multicast")]
    public async Task Ensure_RefusesUnusableDefinitions_BeforeRunningAnything(string name, int vni, string? remote, string? group, string message)
    {
        var definition = new VxlanLinkDefinition(name, vni, 4789, remote is null ? [] : [remote], group, group is null ? null : "lo", null, _bridge);
        var e = await Assert.ThrowsAsync<VxlanException>(() => VxlanLinks.EnsureAsync(definition, CancellationToken.None));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Null(HostLinks.Show("kxtvok"));
    }
}
