using Bunit;
using Bunit.Rendering;
using KrautPortal.Features.Images;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Range = KrautPortal.Features.MachineTypes.Range;

namespace KrautPortal.Tests.Portal;

/// <summary>
/// The one bUnit setup for portal components: loose JS interop (MudBlazor calls JS we do not assert on) and
/// MudBlazor's services. Pass a <see cref="Support.KrautAppFactory"/>'s services to render whole pages on real services.
/// </summary>
public class PortalTestContext : BunitContext, IAsyncLifetime
{
    private readonly AsyncServiceScope? _scope;
    private readonly IServiceProvider? _app;

    public PortalTestContext(IServiceProvider? app = null)
    {
        _app = app;
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        if (app is not null)
        {
            // One scope per test, as a circuit has one: the page's components share its DbContext.
            _scope = app.CreateAsyncScope();
            // A circuit carries its signed-in user; here an administrator, as the portal's pages expect one.
            _scope.Value.ServiceProvider.GetRequiredService<KrautPortal.Features.Auth.RequestActorAccessor>().CircuitActor = Support.TestCredentials.Admin;
            // And, as a circuit's scope, a database context per operation (CircuitDbSession does this for a real circuit).
            _scope.Value.ServiceProvider.GetRequiredService<DbSession>().UseContextPerOperation();
            Services.AddFallbackServiceProvider(_scope.Value.ServiceProvider);
        }
    }

    /// <summary>Renders <paramref name="content"/> beside a MudPopoverProvider, which selects and menus need.</summary>
    public IRenderedComponent<ContainerFragment> RenderWithPopovers(RenderFragment content) => Render(b =>
    {
        b.OpenComponent<MudPopoverProvider>(0);
        b.CloseComponent();
        b.AddContent(1, content);
    });

    /// <summary>Renders <paramref name="content"/> beside a MudPopoverProvider and a MudDialogProvider, which confirmations need.</summary>
    public IRenderedComponent<ContainerFragment> RenderWithDialogs(RenderFragment content) => Render(b =>
    {
        b.OpenComponent<MudPopoverProvider>(0);
        b.CloseComponent();
        b.OpenComponent<MudDialogProvider>(1);
        b.CloseComponent();
        b.AddContent(2, content);
    });

    /// <summary>
    /// An object as stored, read in a scope of its own. A rendered page refreshes live through the test's circuit
    /// scope from the renderer's thread; a read through that scope from the test's thread at the same moment shares the
    /// page's database context (SQLite) and fails ("a second operation was started on this context instance").
    /// </summary>
    public async Task<Resource<TSpec, TStatus>?> StoredAsync<TSpec, TStatus>(KindInfo kind, Guid id)
    {
        await using var scope = (_app ?? throw new InvalidOperationException("This context renders on no portal's services.")).CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<KindReader>().FindAsync<TSpec, TStatus>(kind, id, CancellationToken.None);
    }

    /// <summary>Every stored object of <paramref name="kind"/>, read like <see cref="StoredAsync{TSpec, TStatus}"/>.</summary>
    public async Task<IReadOnlyList<Resource<TSpec, TStatus>>> StoredAllAsync<TSpec, TStatus>(KindInfo kind)
    {
        await using var scope = (_app ?? throw new InvalidOperationException("This context renders on no portal's services.")).CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<KindReader>().AllAsync<TSpec, TStatus>(kind, CancellationToken.None);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor registers services that only dispose asynchronously; xunit calls this before Dispose().
    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        if (_scope is { } scope) await scope.DisposeAsync();
    }
}

/// <summary>
/// A page test with a portal of its own on real services (libvirt's test driver): an instance per test, so each test
/// starts from what a first run seeds and nothing another test made.
/// </summary>
public abstract class OwnPortalTestContext : PortalTestContext
{
    protected OwnPortalTestContext(Support.KrautAppFactory app) : base(app.Services) => App = app;

    protected Support.KrautAppFactory App { get; }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) App.Dispose();
    }
}

/// <summary>A portal on real services (libvirt's test driver), shared by the tests of one class.</summary>
public sealed class PortalApp : IDisposable
{
    public Support.KrautAppFactory Factory { get; } = new();
    public IServiceProvider Services => Factory.Services;
    public void Dispose() => Factory.Dispose();

    /// <summary>A stopped VM on the default network made through <paramref name="services"/> (the test's circuit, so owned by its user).</summary>
    public async Task<Resource<Features.Vms.VmSpec, Features.Vms.VmStatus>> CreateVmAsync(IServiceProvider services, string name, string? ipv4 = null, System.Text.Json.Nodes.JsonObject? metadata = null)
    {
        var image = await Factory.IdOfAsync("images", "kraut-test-guest");
        var type = await Factory.IdOfAsync("machine-types", "small");
        var network = await Factory.IdOfAsync("networks", "default");
        return await services.GetRequiredService<ResourceService<Features.Vms.VmSpec, Features.Vms.VmStatus>>().CreateAsync(
            new ResourceInput<Features.Vms.VmSpec>(name, metadata ?? new System.Text.Json.Nodes.JsonObject(), new Features.Vms.VmSpec
            {
                ImageId = image, MachineTypeId = type, Power = Features.Vms.PowerState.Stopped,
                Nics = [new Features.Vms.VmNic { NetworkId = network, Ipv4Address = ipv4 }],
            }), CancellationToken.None);
    }
}

/// <summary>Objects as the store returns them, for components that take them as parameters.</summary>
public static class Make
{
    public static Resource<ImageSpec, ImageStatus> Image(string name, string arch = Architectures.X86_64, int minMemoryMiB = 128, string? os = "Debian",
        ImageFormat format = ImageFormat.Qcow2, int minDiskGiB = 0, Firmware firmware = Firmware.Bios) =>
        Wrap(name, "images", new ImageSpec { Architecture = arch, MinMemoryMiB = minMemoryMiB, OsName = os, MinDiskGiB = minDiskGiB, Firmware = firmware },
            new ImageStatus { Phase = ImagePhase.Ready, Format = format, VirtualSizeBytes = format == ImageFormat.Iso ? 600L << 20 : 1L << 30 });

    public static Resource<MachineTypeSpec, MachineTypeStatus> MachineType(string name, string arch = Architectures.X86_64,
        Range? vcpus = null, Range? memory = null) =>
        Wrap(name, "machine-types", new MachineTypeSpec
        {
            Architecture = arch,
            Vcpus = vcpus ?? new Range(1, 1, 2),
            MemoryMiB = memory ?? new Range(512, 256, 2048),
            Description = $"{name} machines",
        }, new MachineTypeStatus());

    public static Resource<NetworkSpec, NetworkStatus> Network(string name, string cidr) =>
        Wrap(name, "networks", new NetworkSpec { Ipv4Cidr = cidr }, new NetworkStatus { Phase = NetworkPhase.Active });

    private static Resource<TSpec, TStatus> Wrap<TSpec, TStatus>(string name, string kind, TSpec spec, TStatus status) =>
        new(Guid.CreateVersion7(), kind, name, "admin", new System.Text.Json.Nodes.JsonObject(), spec, status, 1, DateTime.UtcNow, DateTime.UtcNow, null);
}
