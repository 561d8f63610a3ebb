using KrautPortal.Features.Auth;
using KrautPortal.Features.Images;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Seeding;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Routers;

/// <summary>
/// Start-up registers the router appliance found in the seed directory as a system image and a system machine type:
/// hidden from users, registered once, and again (as a new image) when a rebuilt appliance's checksum differs.
/// </summary>
public sealed class RouterVmSeedingTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("kraut-router-seeding-").FullName;

    private string ApplianceFile => Path.Combine(_data, "seed", RouterApplianceRegistry.ImageFile);

    [Fact]
    public async Task TheAppliance_IsRegisteredHidden_Once_AndAgainWhenRebuilt()
    {
        SeedImages.Put(_data, SeedImages.Blank);
        Tool.Run("qemu-img", "create", "-q", "-f", "qcow2", ApplianceFile, "32M");
        using var app = new KrautAppFactory(dataDirectory: _data);

        var first = (await FindAsync(app)).Parts;
        Assert.NotNull(first);
        Assert.Equal((RouterApplianceRegistry.Vcpus, RouterApplianceRegistry.MemoryMiB), (first.Vcpus, first.MemoryMiB));
        var image = await AsKrautAsync<ImageSpec, ImageStatus>(app, first.ImageId);
        Assert.True(image.System);
        Assert.Equal(Actor.SharedOwner, image.Owner);
        Assert.Equal("router", image.Metadata[RouterApplianceRegistry.Key]!.GetValue<string>());
        Assert.Equal(ImagePhase.Ready, image.Status.Phase);
        var type = await AsKrautAsync<MachineTypeSpec, MachineTypeStatus>(app, first.MachineTypeId);
        Assert.True(type.System);
        Assert.Equal((RouterApplianceRegistry.MachineTypeName, "x86_64"), (type.Name, type.Spec.Architecture));

        // Users see neither, not even in "shared"; an administrator does.
        var alice = new Actor("alice", IsAdmin: false, []);
        Assert.DoesNotContain(first.ImageId, await ListAsync<ImageSpec, ImageStatus>(app, alice));
        Assert.DoesNotContain(first.MachineTypeId, await ListAsync<MachineTypeSpec, MachineTypeStatus>(app, alice));
        Assert.Contains(await app.IdOfAsync("images", "kraut-test-guest"), await ListAsync<ImageSpec, ImageStatus>(app, alice));
        Assert.Contains(first.ImageId, await ListAsync<ImageSpec, ImageStatus>(app, TestCredentials.Admin));

        // Another start with the same file registers nothing new.
        await app.Service<FirstRunSeeder>().SeedAsync(CancellationToken.None);
        Assert.Equal(first, (await FindAsync(app)).Parts);
        Assert.Single(await ImagesAsync(app));

        // A rebuilt appliance is a new image; the old one stays for the routers made from it.
        Tool.Run("qemu-img", "create", "-q", "-f", "qcow2", ApplianceFile, "48M");
        await app.Service<FirstRunSeeder>().SeedAsync(CancellationToken.None);
        var second = (await FindAsync(app)).Parts;
        Assert.NotNull(second);
        Assert.NotEqual(first.ImageId, second.ImageId);
        Assert.Equal(first.MachineTypeId, second.MachineTypeId);
        Assert.Equal([first.ImageId, second.ImageId], (await ImagesAsync(app)).Select(i => i.Id));
        Assert.Equal(48L << 20, (await AsKrautAsync<ImageSpec, ImageStatus>(app, second.ImageId)).Status.VirtualSizeBytes);
    }

    [Fact]
    public async Task WithoutTheApplianceFile_NothingIsRegistered_AndTheLookupSaysHowToBuildIt()
    {
        SeedImages.Put(_data, SeedImages.Blank);
        using var app = new KrautAppFactory(dataDirectory: _data);

        var lookup = await FindAsync(app);

        Assert.Null(lookup.Parts);
        Assert.Contains("scripts/build-guest-image.sh --router", lookup.Problem, StringComparison.Ordinal);
        Assert.Empty(await ImagesAsync(app));
    }

    private static async Task<RouterApplianceLookup> FindAsync(KrautAppFactory app)
    {
        await using var scope = app.CreateActorScope();
        return await RouterApplianceRegistry.FindAsync(scope.ServiceProvider.GetRequiredService<KindReader>(), CancellationToken.None);
    }

    private static async Task<IReadOnlyList<Resource<ImageSpec, ImageStatus>>> ImagesAsync(KrautAppFactory app)
    {
        await using var scope = app.CreateActorScope();
        return await RouterApplianceRegistry.ImagesAsync(scope.ServiceProvider.GetRequiredService<KindReader>(), CancellationToken.None);
    }

    private static async Task<Resource<TSpec, TStatus>> AsKrautAsync<TSpec, TStatus>(KrautAppFactory app, Guid id) where TSpec : class where TStatus : class
    {
        await using var scope = app.CreateActorScope();
        return await scope.ServiceProvider.GetRequiredService<ResourceService<TSpec, TStatus>>().AsKraut().GetAsync(id, CancellationToken.None);
    }

    private static async Task<List<Guid>> ListAsync<TSpec, TStatus>(KrautAppFactory app, Actor actor) where TSpec : class where TStatus : class
    {
        await using var scope = app.CreateActorScope(actor);
        var page = await scope.ServiceProvider.GetRequiredService<ResourceService<TSpec, TStatus>>().ListAsync(new ListQuery(Limit: ListQuery.MaxLimit), CancellationToken.None);
        return page.Items.Select(i => i.Id).ToList();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // a file still held a moment longer; the temp directory is harmless
        }
    }
}
