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

    /// <summary>Why this host cannot run guests of <paramref name="arch"/>, or null when it can (see <see cref="ArchitectureSupport"/>).</summary>
    public string? WhyCannotRun(string arch) => ArchitectureSupport(arch) is { CanRun: false } refused ? refused.Reason : null;

    // --- Architectures (issue 14, part 4): native or emulated, and whether emulation is allowed --------------------

    /// <summary>
    /// Whether guests that only QEMU's emulation (TCG) can run here may be placed here: <c>Kraut:AllowEmulation</c>,
    /// false by default, because an emulated guest is many times slower than a native one. Set by <see cref="HostRegistry"/>.
    /// </summary>
    public bool AllowEmulation { get; internal set; }

    /// <summary>
    /// How this host runs guests of <paramref name="arch"/>, judged from libvirt's capabilities as last read (no libvirt call):
    /// native where the guest arch is the host's own or libvirt offers the kvm domain type for it (KVM may still turn out
    /// unusable: the domain type probe decides that), emulated where only the qemu domain type (TCG) exists, no where
    /// no emulator exists or the host was never reached. An emulated arch runs only where <see cref="AllowEmulation"/>.
    /// The scheduler filters on this.
    /// </summary>
    public ArchitectureSupport ArchitectureSupport(string arch) =>
        JudgeArchitecture(arch, Uri, IsDemo, Capabilities, Error, GuestFor(arch), AllowEmulation);

    /// <summary>The judgement itself, free of libvirt so that every host kind (an arm64 one too) can be tested.</summary>
    /// <param name="guest">The guest capabilities for <paramref name="arch"/> (<see cref="GuestFor"/>), or null.</param>
    public static ArchitectureSupport JudgeArchitecture(string arch, string uri, bool isDemo, HostCapabilities? capabilities, string? error,
        GuestCapabilities? guest, bool allowEmulation)
    {
        if (capabilities is null) return new(arch, ArchitectureSupportKind.No, error ?? $"{uri} has not been reached yet.", CanRun: false);
        if (guest is null)
        {
            return new(arch, ArchitectureSupportKind.No,
                $"{uri} has no emulator for {arch} guests" + (arch == "aarch64" && !isDemo ? " (install Debian's qemu-system-arm on the host)." : "."),
                CanRun: false);
        }
        if (isDemo || arch == capabilities.HostArch || guest.SupportsDomainType("kvm"))
            return new(arch, ArchitectureSupportKind.Native, $"{uri} runs {arch} guests natively.", CanRun: true);
        return allowEmulation
            ? new(arch, ArchitectureSupportKind.Emulated, $"{uri} runs {arch} guests emulated (QEMU's TCG on {capabilities.HostArch}): slow.", CanRun: true)
            : new(arch, ArchitectureSupportKind.Emulated,
                $"{uri} can run {arch} guests only emulated (QEMU's TCG on {capabilities.HostArch}, many times slower than native), "
                + "which this portal does not allow: an admin allows it with Kraut:AllowEmulation=true.",
                CanRun: false);
    }

    /// <summary>Every architecture libvirt offers here, as <see cref="ArchitectureSupport"/> judges it.</summary>
    public IReadOnlyList<ArchitectureSupport> Architectures() =>
        Capabilities?.Guests.Where(g => g.OsType == "hvm").Select(g => g.Arch).Distinct().Order(StringComparer.Ordinal)
            .Select(ArchitectureSupport).ToList() ?? [];

    // --- end of the architectures block ------------------------------------------------------------------------

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

public enum ArchitectureSupportKind { Native, Emulated, No }

/// <summary>
/// How a host runs one guest architecture; <paramref name="CanRun"/> is false for <see cref="ArchitectureSupportKind.No"/>
/// and for an emulated arch the admin has not allowed. <paramref name="Reason"/> is a sentence for people.
/// </summary>
public sealed record ArchitectureSupport(string Arch, ArchitectureSupportKind Kind, string Reason, bool CanRun)
{
    /// <summary>"aarch64: emulated (slow)", as the hosts list shows it.</summary>
    public string Summary => Kind switch
    {
        ArchitectureSupportKind.Native => $"{Arch}: native",
        ArchitectureSupportKind.Emulated => CanRun ? $"{Arch}: emulated (slow)" : $"{Arch}: emulated (slow), not allowed",
        _ => $"{Arch}: no",
    };
}

public sealed class HostUnavailableException(string message, Exception inner) : Exception(message, inner);
