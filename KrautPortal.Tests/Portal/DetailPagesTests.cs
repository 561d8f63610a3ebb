using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features.Images;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Portal;

/// <summary>Every detail page prerenders and settles: a page that keeps re-rendering itself never finishes its response.</summary>
public sealed class DetailPagesTests(DetailPagesTests.App app) : IClassFixture<DetailPagesTests.App>
{
    public sealed class App : IDisposable
    {
        public KrautAppFactory Factory { get; } = new();
        public void Dispose() => Factory.Dispose();
    }

    [Theory]
    [InlineData("vms")]
    [InlineData("images")]
    [InlineData("networks")]
    [InlineData("machine-types")]
    public async Task DetailPage_RendersWithinSeconds(string kind)
    {
        var factory = app.Factory;
        var (id, name) = kind switch
        {
            "vms" => await NewVmAsync(factory),
            "images" => (await factory.IdOfAsync("images", "kraut-test-guest"), "kraut-test-guest"),
            "networks" => (await factory.IdOfAsync("networks", "default"), "default"),
            _ => (await factory.IdOfAsync("machine-types", "small"), "small"),
        };
        using var client = factory.CreateClient();

        var response = await client.GetAsync($"/{kind}/{id}").WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(name, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task VmDetail_ShowsTheGuestHostnameAndCloudInitSummary()
    {
        var factory = app.Factory;
        var image = await factory.IdOfAsync("images", "kraut-test-guest");
        var type = await factory.IdOfAsync("machine-types", "small");
        var spec = new VmSpec { ImageId = image, MachineTypeId = type, SshAuthorizedKeys = [CloudInit.TestKeys.Ed25519()], UserData = "#!/bin/sh\necho hi\n" };
        var vm = await factory.WithScopeAsync<ResourceService<VmSpec, VmStatus>, Resource<VmSpec, VmStatus>>(s =>
            s.CreateAsync(new ResourceInput<VmSpec>("Detail Seed VM", new JsonObject(), spec), CancellationToken.None));
        using var client = factory.CreateClient();

        var html = await client.GetStringAsync($"/vms/{vm.Id}");

        Assert.Contains("data-testid=\"vm-hostname\">detail-seed-vm<", html, StringComparison.Ordinal);
        Assert.Contains("1 SSH key(s)", html, StringComparison.Ordinal);
        Assert.Contains("user-data script", html, StringComparison.Ordinal);
    }

    private static async Task<(Guid, string)> NewVmAsync(KrautAppFactory factory)
    {
        var image = await factory.IdOfAsync("images", "kraut-test-guest");
        var type = await factory.IdOfAsync("machine-types", "small");
        var vm = await factory.WithScopeAsync<ResourceService<VmSpec, VmStatus>, Resource<VmSpec, VmStatus>>(s =>
            s.CreateAsync(new ResourceInput<VmSpec>("detail-page-vm", new JsonObject(), new VmSpec { ImageId = image, MachineTypeId = type }), CancellationToken.None));
        return (vm.Id, vm.Name);
    }
}
