using System.Diagnostics;
using KrautPortal.Hypervisor.Routers;

namespace KrautPortal.Tests.Routers;

/// <summary>
/// One router appliance booted on the real libvirtd for a whole test class (boots under TCG are slow). Right after
/// start it asks the agent once with a short timeout, while the guest cannot answer yet, and keeps what happened.
/// </summary>
public sealed class ApplianceFixture : IAsyncLifetime
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(120);

    private BootedRouterAppliance? _appliance;

    public BootedRouterAppliance Appliance => _appliance ?? throw new InvalidOperationException("the appliance did not start");

    public RouterAgentClient Agent { get; } = new();

    /// <summary>What a request made right after the domain started threw (null: it did not throw).</summary>
    public Exception? EarlyFailure { get; private set; }

    /// <summary>How long the early request took to fail.</summary>
    public TimeSpan EarlyFailureAfter { get; private set; }

    /// <summary>From domain start to the agent's ready line on the console.</summary>
    public TimeSpan BootTime { get; private set; }

    public async Task InitializeAsync()
    {
        _appliance = await BootedRouterAppliance.StartAsync(TestHosts.System, "kraut-test-appliance");
        var started = Stopwatch.StartNew();

        var early = Stopwatch.StartNew();
        try
        {
            await new RouterAgentClient(TimeSpan.FromSeconds(3)).LoadedAsync(_appliance.SocketPath, CancellationToken.None);
        }
        catch (Exception e)
        {
            EarlyFailure = e;
        }
        EarlyFailureAfter = early.Elapsed;

        await _appliance.WaitForAgentAsync(Boot);
        BootTime = started.Elapsed;
    }

    public async Task DisposeAsync()
    {
        if (_appliance is not null) await _appliance.DisposeAsync();
    }
}
