using System.Net;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using KrautPortal.Features;
using KrautPortal.Tests.CloudInit;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Api;

/// <summary>The cloud-init seed through the API on libvirt's test driver: attached, regenerated, removed, and bad input refused.</summary>
public sealed class VmSeedTests(ApiClient api) : IClassFixture<ApiClient>
{
    private string SeedPath(Guid id) => api.App.Service<KrautPaths>().SeedIsoFor(id);

    private static string SeedFile(string iso, string name)
    {
        var dir = Directory.CreateTempSubdirectory("kraut-seed-read-").FullName;
        try
        {
            Tool.Run("xorriso", "-osirrox", "on", "-indev", iso, "-extract", "/" + name, Path.Combine(dir, name));
            return File.ReadAllText(Path.Combine(dir, name));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Vm_GetsASeedCd_RegeneratedOnChange_AndRemovedWithTheVm()
    {
        var seeded = await api.SeededAsync();
        var keys = new[] { TestKeys.Ed25519(), TestKeys.Rsa() };
        var body = await api.SampleAsync("vms", ApiClient.UniqueName("seed"));
        body["spec"]!["nics"] = new JsonArray(new JsonObject { ["networkId"] = seeded.DefaultNetworkId });
        body["spec"]!["hostname"] = "Web-1";
        body["spec"]!["sshAuthorizedKeys"] = new JsonArray(keys.Select(k => (JsonNode)JsonValue.Create(k)).ToArray());
        body["spec"]!["userData"] = "#!/bin/sh\r\necho hello\r\n";
        var created = await api.CreateAsync("vms", body);
        var id = (Guid)created["id"]!;
        Assert.Equal("web-1", (string?)created["spec"]!["hostname"]);
        Assert.Equal("#!/bin/sh\necho hello\n", (string?)created["spec"]!["userData"]);

        await api.WaitForPhaseAsync(id, "running");
        var iso = SeedPath(id);
        Assert.True(File.Exists(iso), "the seed ISO exists once the domain is defined");
        var cdrom = XDocument.Parse(ApiClient.DomainXml(id, inactive: true)!).Root!.Element("devices")!.Elements("disk")
            .Single(d => (string?)d.Attribute("device") == "cdrom");
        Assert.Equal(iso, (string?)cdrom.Element("source")!.Attribute("file"));
        Assert.Equal("scsi", (string?)cdrom.Element("target")!.Attribute("bus"));
        Assert.NotNull(cdrom.Element("readonly"));
        Assert.Contains("local-hostname: \"web-1\"", SeedFile(iso, "meta-data"), StringComparison.Ordinal);
        Assert.Equal("#!/bin/sh\necho hello\n", SeedFile(iso, "user-data"));

        using (var patch = await api.PatchAsync($"/api/v1/vms/{id}", new JsonObject { ["spec"] = new JsonObject { ["hostname"] = "web-2" } }))
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        await api.WaitForVmAsync(id, vm => (long)vm["status"]!["observedVersion"]! >= 2, "to apply the new host name");
        Assert.Contains("local-hostname: \"web-2\"", SeedFile(iso, "meta-data"), StringComparison.Ordinal);

        using (var deleted = await api.DeleteAsync($"/api/v1/vms/{id}")) Assert.True(deleted.IsSuccessStatusCode);
        await api.WaitUntilGoneAsync("vms", id);
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(iso)!, id.ToString("D") + "*"));
    }

    [Fact]
    public async Task Create_WithBadHostnameKeyOrUserData_Returns422NamingEachField_AndMakesNothing()
    {
        var seeded = await api.SeededAsync();
        var name = ApiClient.UniqueName("badseed");
        var body = await api.SampleAsync("vms", name);
        body["spec"]!["nics"] = new JsonArray(new JsonObject { ["networkId"] = seeded.DefaultNetworkId });
        body["spec"]!["hostname"] = "-web_1";
        body["spec"]!["sshAuthorizedKeys"] = new JsonArray(TestKeys.Ed25519(), "ssh-rsa not-a-key");
        body["spec"]!["userData"] = "#cloud-config\nruncmd: [ls\n";

        using var response = await api.PostAsync("/api/v1/vms", body);
        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity);

        var errors = problem["errors"]!.AsObject();
        Assert.Contains("is not a host name", (string?)errors["spec.hostname"]![0], StringComparison.Ordinal);
        Assert.Null(errors["spec.sshAuthorizedKeys[0]"]);
        Assert.Contains("not valid base64", (string?)errors["spec.sshAuthorizedKeys[1]"]![0], StringComparison.Ordinal);
        Assert.Contains("not valid YAML", (string?)errors["spec.userData"]![0], StringComparison.Ordinal);
        Assert.DoesNotContain(await api.ListAllAsync("vms"), vm => (string?)vm["name"] == name);
    }
}
