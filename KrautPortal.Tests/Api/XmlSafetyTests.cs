using System.Text.Json.Nodes;
using System.Xml.Linq;
using KrautPortal.Hypervisor;

namespace KrautPortal.Tests.Api;

/// <summary>Hostile names and metadata go through API, store, reconciler and libvirt without changing the domain's shape.</summary>
public sealed class XmlSafetyTests(ApiClient api) : IClassFixture<ApiClient>
{
    private const string HostileName = "a'b\"<c>&d";
    private const string HostileMetadata = "</metadata><devices><disk/></devices>";

    [Fact]
    public async Task HostileNameAndMetadata_RoundTripExactly_AndTheDomainHasOnlyWhatKrautAskedFor()
    {
        var seeded = await api.SeededAsync();

        var created = await api.CreateVmAsync(HostileName, new JsonObject { ["x"] = HostileMetadata }, seeded.DefaultNetworkId);
        var id = Guid.Parse((string)created["id"]!);
        var vm = await api.WaitForPhaseAsync(id, "running");

        Assert.Equal(HostileName, (string?)vm["name"]);
        Assert.Equal(HostileMetadata, (string?)vm["metadata"]!["x"]);
        var raw = ApiClient.DomainXml(id)!;
        var domain = XDocument.Parse(raw).Root!;
        Assert.Equal(HostileName, domain.Element("title")!.Value);
        Assert.Equal(HostileName, DomainXml.Parse(raw).Metadata!.VmName);
        Assert.Single(domain.Descendants("devices"));
        Assert.Equal(1, CountOf(raw, "<devices>"));
        Assert.DoesNotContain(HostileMetadata, raw, StringComparison.Ordinal);

        var devices = domain.Element("devices")!;
        // The overlay and the cloud-init seed CD, nothing else.
        var disks = devices.Elements("disk").ToDictionary(d => (string)d.Attribute("device")!, d => (string?)d.Element("source")!.Attribute("file"));
        Assert.Equal(2, disks.Count);
        Assert.Equal(api.OverlayPath(id), disks["disk"]);
        Assert.Equal(api.App.Service<KrautPortal.Features.KrautPaths>().SeedIsoFor(id), disks["cdrom"]);
        var nic = Assert.Single(devices.Elements("interface"));
        Assert.Equal((string?)vm["spec"]!["nics"]![0]!["mac"], (string?)nic.Element("mac")!.Attribute("address"));
        Assert.StartsWith("kraut-", (string?)nic.Element("source")!.Attribute("network"), StringComparison.Ordinal);

        // The same name comes back through history and listing untouched.
        Assert.Equal(HostileName, (string?)(await api.GetAsync($"/api/v1/vms/{id}/history/1"))["snapshot"]!["name"]);
        Assert.Contains(await api.ListAllAsync("vms", "x"), v => (string?)v["name"] == HostileName);
    }

    [Fact]
    public async Task Rename_ToAnotherHostileName_ReachesTheDomainConfigExactly()
    {
        var created = await api.CreateVmAsync("plain-" + Guid.NewGuid().ToString("N")[..6]);
        var id = Guid.Parse((string)created["id"]!);
        await api.WaitForPhaseAsync(id, "running");
        const string renamed = "]]><title>x</title><!-- &amp; \u00e9";

        using (var patch = await api.PatchAsync($"/api/v1/vms/{id}", new JsonObject { ["name"] = renamed }))
            Assert.Equal(2, ApiClient.ETagVersion(patch));

        await api.WaitForVmAsync(id, vm => (long)vm["status"]!["observedVersion"]! == 2, "to apply the rename");
        var config = XDocument.Parse(ApiClient.DomainXml(id, inactive: true)!).Root!;
        Assert.Equal(renamed, Assert.Single(config.Elements("title")).Value);
        Assert.Single(config.Descendants("devices"));
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + 1, StringComparison.Ordinal)) count++;
        return count;
    }
}
