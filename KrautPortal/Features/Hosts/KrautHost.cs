using System.Collections.Concurrent;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Hosts;

/// <summary>One libvirt host as Kraut sees it: its connection (reopened when lost) and what it can run.</summary>
public sealed class KrautHost(string uri, bool isDemo, AccelerationCache accelerationCache, ILogger logger) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _domainTypes = new();
    private LibvirtConnection? _connection;

    public string Uri { get; } = uri;

    /// <summary>libvirt's in-memory test driver: VMs there are records only, nothing boots.</summary>
    public bool IsDemo { get; } = isDemo;

    /// <summary>
    /// This machine: a libvirt URI without a host part (qemu:///system), not the test driver. Its networks are bridges
    /// here, so iproute2 reaches them and the machine's own addresses and routes can collide with them.
    /// </summary>
    public bool IsLocal { get; } = !isDemo && System.Uri.TryCreate(uri, UriKind.Absolute, out var parsed)
        && string.IsNullOrEmpty(parsed.Host) && parsed.Scheme != "test";

    public string? Error { get; private set; }
    public HostCapabilities? Capabilities { get; private set; }
    public string DisplayName => IsDemo ? $"{Uri} (demo host — no real VMs)" : Uri;

    /// <summary>Raised with each new connection so event subscriptions can be renewed.</summary>
    public event Action<KrautHost, LibvirtConnection>? Connected;

    /// <summary>The live connection, reopened if libvirtd went away. Throws when the host cannot be reached.</summary>
    public LibvirtConnection Connection
    {
        get
        {
            LibvirtConnection fresh;
            lock (_lock)
            {
                if (_connection is { IsAlive: true }) return _connection;
                _connection?.Dispose();
                _connection = null;
                try
                {
                    fresh = LibvirtConnection.Open(Uri);
                    Capabilities = fresh.GetCapabilities();
                    _connection = fresh;
                    Error = null;
                }
                catch (LibvirtException e)
                {
                    Error = $"Cannot reach {Uri}: {e.Message}";
                    throw new HostUnavailableException(Error, e);
                }
            }
            logger.LogInformation("Connected to {Uri}", Uri);
            Connected?.Invoke(this, fresh);
            return fresh;
        }
    }

    public bool TryConnect()
    {
        try
        {
            _ = Connection;
            return true;
        }
        catch (HostUnavailableException)
        {
            return false;
        }
    }

    /// <summary>Why this host cannot run guests of <paramref name="arch"/>, or null when it can.</summary>
    public string? WhyCannotRun(string arch)
    {
        if (Capabilities is null) return Error ?? $"{Uri} has not been reached yet.";
        return GuestFor(arch) is null
            ? $"{Uri} has no emulator for {arch} guests" + (arch == "aarch64" && !IsDemo ? " (install Debian's qemu-system-arm on the host)." : ".")
            : null;
    }

    /// <summary>The guest capabilities to build a domain of <paramref name="arch"/> from, or null when this host cannot run it.</summary>
    public GuestCapabilities? GuestFor(string arch)
    {
        if (Capabilities?.FindGuest(arch) is { } guest) return guest;
        // libvirt's test driver lists only i686 guests yet defines domains of any arch. As the demo host it
        // stands in for this machine, so its own arch's machine types work; other archs stay refused as on a real host.
        return IsDemo && arch == NativeArch ? Capabilities?.FindGuest(Capabilities.HostArch) : null;
    }

    private static string NativeArch => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.Arm64 => "aarch64",
        _ => "x86_64",
    };

    /// <summary>"kvm", "qemu" or "test"; decided once per architecture, KVM only when it really works.</summary>
    public Task<string> DomainTypeForAsync(string arch, string configured, string? probeKernel) =>
        _domainTypes.GetOrAdd(arch, a => new Lazy<Task<string>>(() => DecideDomainTypeAsync(a, configured, probeKernel))).Value;

    private async Task<string> DecideDomainTypeAsync(string arch, string configured, string? probeKernel)
    {
        if (IsDemo || Connection.IsTestDriver) return "test";
        if (configured is "kvm" or "qemu") return configured;
        var decision = await accelerationCache.GetOrProbeAsync(Uri, arch, Capabilities!, probeKernel);
        logger.LogInformation("{Uri} runs {Arch} guests as '{Type}': {Reason}", Uri, arch, decision.DomainType, decision.Reason);
        return decision.DomainType;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _connection?.Dispose();
            _connection = null;
        }
    }
}

public sealed class HostUnavailableException(string message, Exception inner) : Exception(message, inner);
