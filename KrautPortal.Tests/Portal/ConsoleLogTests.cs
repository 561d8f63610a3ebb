using Bunit;
using KrautPortal.Features;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms.Pages;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Portal;

/// <summary>The console view is pushed what the guest prints, through the console watcher: there is no poll left to rely on.</summary>
public sealed class ConsoleLogTests : PortalTestContext
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kraut-console-");
    private readonly KrautPaths _paths;
    private readonly ConsoleWatcher _watcher;

    public ConsoleLogTests()
    {
        _paths = new KrautPaths(_dir.FullName);
        _watcher = new ConsoleWatcher(_paths);
        Services.AddSingleton(_paths);
        Services.AddSingleton(_watcher);
        Services.AddSingleton(new ChangeFeed());
        JSInterop.SetupModule("./" + ConsoleLog.Script).SetupVoid("follow", _ => true);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        _watcher.Dispose();
        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task NewOutput_ReachesAnOpenView_WithoutAReload()
    {
        var vm = Guid.CreateVersion7();
        var cut = Render<ConsoleLog>(p => p.Add(c => c.VmId, vm));
        Assert.Equal("(nothing yet)", cut.Find("[data-testid=console-log]").TextContent);

        await File.AppendAllTextAsync(_paths.ConsoleFor(vm), "Linux version 6.1\n");
        cut.WaitForAssertion(() => Assert.Contains("Linux version 6.1", cut.Find("[data-testid=console-log]").TextContent, StringComparison.Ordinal), Wait);

        await File.AppendAllTextAsync(_paths.ConsoleFor(vm), "kraut-guest ready\n");
        cut.WaitForAssertion(() => Assert.EndsWith("kraut-guest ready\n", cut.Find("[data-testid=console-log]").TextContent, StringComparison.Ordinal), Wait);
    }

    [Fact]
    public async Task Watcher_TellsOnlyTheVmWhoseConsoleChanged()
    {
        var (mine, other) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        var mineChanged = new SemaphoreSlim(0);
        var otherChanged = 0;
        using var a = _watcher.Subscribe(mine, () => mineChanged.Release());
        using var b = _watcher.Subscribe(other, () => Interlocked.Increment(ref otherChanged));

        await File.AppendAllTextAsync(_paths.ConsoleFor(mine), "hello\n");

        Assert.True(await mineChanged.WaitAsync(Wait), "no event for the console that grew");
        Assert.Equal(0, Volatile.Read(ref otherChanged));
    }

    [Fact]
    public async Task AClosedView_IsToldNothingMore()
    {
        var vm = Guid.CreateVersion7();
        var calls = 0;
        var subscription = _watcher.Subscribe(vm, () => Interlocked.Increment(ref calls));
        var witness = new SemaphoreSlim(0);
        using var still = _watcher.Subscribe(vm, () => witness.Release());
        subscription.Dispose();

        await File.AppendAllTextAsync(_paths.ConsoleFor(vm), "after\n");

        Assert.True(await witness.WaitAsync(Wait), "the remaining subscriber heard nothing");
        Assert.Equal(0, Volatile.Read(ref calls));
    }
}
