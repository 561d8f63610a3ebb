using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Support;

/// <summary>
/// One portal on qemu:///system and one booted test guest, shared by the ordered steps of a class (a TCG boot costs
/// 15–30 s here). Each step asks for the VM in the state it needs; the guest boots on the first ask, so a step run
/// alone (a filtered run) still gets one. A step that replaces the VM hands the new one on with <see cref="Adopt"/>.
/// </summary>
public sealed class SharedRealGuest : IDisposable
{
    public static readonly TimeSpan Boot = TimeSpan.FromSeconds(180);

    private Guid? _vm;

    public SharedRealGuest()
    {
        Tool.PackagedFile("/usr/bin/qemu-system-x86_64", "qemu-system-x86");
        Tool.PackagedFile("/usr/bin/qemu-img", "qemu-utils");
        Tool.PackagedFile("/usr/bin/virsh", "libvirt-clients");
        App = new KrautAppFactory(KrautAppFactory.SystemDriver, SeedImages.Guest);
        Http = App.CreateClient();
        Api = new KrautApi(Http);
    }

    public KrautAppFactory App { get; }

    public HttpClient Http { get; }

    public KrautApi Api { get; }

    /// <summary>The shared VM, running: booted from the test guest image on the first ask.</summary>
    public async Task<Guid> RunningVmAsync()
    {
        if (_vm is not { } id) return await NewRunningVmAsync();
        // The steps that need it running come before those that leave it stopped; finding it stopped means an earlier
        // step failed halfway: say so rather than wait out the boot time.
        var phase = await Api.PhaseAsync(id);
        Assert.True(phase != "stopped", $"the shared VM {id} is stopped: a step before this one failed halfway");
        await Api.WaitForPhaseAsync(id, "running", Boot);
        return id;
    }

    /// <summary>
    /// A new shared VM, just started (its guest may still be booting): for the step that needs it fresh, which must come
    /// before any other step asked for the VM.
    /// </summary>
    public async Task<Guid> NewRunningVmAsync()
    {
        Assert.True(_vm is null, $"a step before this one already booted the shared VM {_vm}; this step needs a fresh one");
        var id = await Api.CreateVmAsync(Tests.Api.ApiClient.UniqueName("shared"));
        _vm = id;
        await Api.WaitForPhaseAsync(id, "running", Boot);
        return id;
    }

    /// <summary>The shared VM, switched off (force-off: its disk is what the step looks at, not its shutdown).</summary>
    public async Task<Guid> StoppedVmAsync()
    {
        var id = _vm ?? await RunningVmAsync();
        if (await Api.PhaseAsync(id) != "stopped")
        {
            await Api.ActAsync(id, "force-off");
            await Api.WaitForPhaseAsync(id, "stopped", TimeSpan.FromSeconds(60));
        }
        return id;
    }

    /// <summary>The image the shared VM was made from, when a step made one (it can go only after the VM).</summary>
    public Guid? Image { get; private set; }

    /// <summary>Makes <paramref name="vm"/>, running from <paramref name="image"/>, the shared VM from now on (the step
    /// deleted the one before).</summary>
    public void Adopt(Guid vm, Guid image) => (_vm, Image) = (vm, image);

    /// <summary>Forgets the shared VM and its image once a step deleted them; the next ask boots a new VM.</summary>
    public void Forget() => (_vm, Image) = (null, null);

    public void Dispose()
    {
        Http.Dispose();
        App.Dispose(); // removes the instance's domains, networks and data directory
    }
}
