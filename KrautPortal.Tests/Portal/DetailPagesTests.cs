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

    [Theory]
    [InlineData("vms", "VM")]
    [InlineData("images", "image")]
    public async Task DetailPage_ForAnIdThatNeverExisted_SaysSo_InsteadOfLoadingForever(string kind, string singular)
    {
        using var client = app.Factory.CreateClient();

        foreach (var id in new[] { Guid.Empty, Guid.NewGuid() })
        {
            var html = await client.GetStringAsync($"/{kind}/{id}").WaitAsync(TimeSpan.FromSeconds(15));

            Assert.Contains($"No {singular} with id <code>{id}</code> exists (or you may not see it).", html, StringComparison.Ordinal);
            Assert.Contains($"href=\"{kind}\"", html, StringComparison.Ordinal);
            Assert.DoesNotContain("no longer exists", html, StringComparison.Ordinal);
            Assert.DoesNotContain("mud-progress-linear", html, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("/no/such/page")]
    [InlineData("/vms/not-a-guid")]
    public async Task UnknownPortalAddress_GetsThePortalsNotFoundPage(string path)
    {
        using var client = app.Factory.CreateClient();

        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("There is no page here", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"current-user\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownApiAddress_KeepsProblemJson()
    {
        using var client = app.Factory.CreateClient();

        var response = await client.GetAsync("/api/v1/no-such-kind");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
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
