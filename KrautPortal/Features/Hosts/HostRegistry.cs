using KrautPortal.Features.MachineTypes;
using KrautPortal.Hypervisor;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Hosts;

/// <summary>
/// The configured libvirt hosts. With none configured: <c>qemu:///system</c> when libvirtd answers,
/// otherwise libvirt's test driver, labelled everywhere as a demo host.
/// </summary>
public sealed class HostRegistry : IDisposable
{
    public const string DemoUri = "test:///default";
    public const string SystemUri = "qemu:///system";

    private readonly KrautOptions _options;
    private readonly string? _probeKernel;
    private readonly string? _arm64ProbeKernel;

    public HostRegistry(IOptions<KrautOptions> options, AccelerationCache cache, KrautPaths paths, ILogger<HostRegistry> logger)
    {
        _options = options.Value;
        _probeKernel = _options.ProbeKernel ?? (File.Exists(Path.Combine(paths.Seed, "kraut-guest.vmlinuz")) ? Path.Combine(paths.Seed, "kraut-guest.vmlinuz") : null);
        // The KVM probe of an arm64 host boots an arm64 kernel: the aarch64 test guest's, when it is in the seed directory.
        var arm64Kernel = Path.Combine(paths.Seed, "kraut-guest-arm64.vmlinuz");
        _arm64ProbeKernel = _options.ProbeKernel is null && File.Exists(arm64Kernel) ? arm64Kernel : _probeKernel;
        var configured = _options.Hosts.Where(h => !string.IsNullOrWhiteSpace(h) && h != "auto").ToList();
        if (configured.Count > 0)
        {
            Hosts = configured.Select(uri => new KrautHost(uri, IsTestDriver(uri), cache, logger)).ToList();
            foreach (var host in Hosts) host.TryConnect();
        }
        else
        {
            var system = new KrautHost(SystemUri, false, cache, logger);
            if (system.TryConnect())
            {
                Hosts = [system];
            }
            else
            {
                logger.LogWarning("libvirtd does not answer on {Uri} ({Error}); using the demo host {Demo}: no real VMs", SystemUri, system.Error, DemoUri);
                system.Dispose();
                var demo = new KrautHost(DemoUri, true, cache, logger);
                demo.TryConnect();
                Hosts = [demo];
            }
        }
        // Architectures (issue 14): whether arches a host can only emulate may be placed there.
        foreach (var host in Hosts) host.AllowEmulation = _options.AllowEmulation;
    }

    public IReadOnlyList<KrautHost> Hosts { get; }

    public bool IsDemoOnly => Hosts.All(h => h.IsDemo);

    /// <summary>libvirt's test driver, in this process (test:///) or in a libvirtd several replicas share (test+unix://).</summary>
    private static bool IsTestDriver(string uri) => uri.StartsWith("test:", StringComparison.Ordinal) || uri.StartsWith("test+", StringComparison.Ordinal);

    public KrautHost? Find(string? uri) => Hosts.FirstOrDefault(h => h.Uri == uri);

    /// <summary>A host by its id (as <c>GET /api/v1/hosts</c> shows it) or its URI, as the host APIs take it; 404 otherwise.</summary>
    public KrautHost Resolve(string idOrUri) =>
        Hosts.FirstOrDefault(h => HostIds.For(h.Uri) == idOrUri || h.Uri == idOrUri) ?? throw new HostNotFoundException(idOrUri);

    /// <summary>
    /// Null when some host can run <paramref name="arch"/>; otherwise a sentence saying why none can. Judged by what each
    /// host reported when last reached (<see cref="LearnFacts"/>): it never calls libvirt, so validating a request does not
    /// wait for a host.
    /// </summary>
    public string? WhyCannotRun(string arch)
    {
        var reasons = new List<string>();
        foreach (var host in Hosts)
        {
            if (host.WhyCannotRun(arch) is not { } reason) return null;
            reasons.Add(reason);
        }
        return $"No host can run {arch} guests: " + string.Join("; ", reasons);
    }

    /// <summary>
    /// Reaches each host that has not been reached yet (libvirtd was down when Kraut started), so its capabilities are
    /// known. Called by the VM reconciler at start-up and on every poll, never by a request.
    /// </summary>
    public void LearnFacts()
    {
        foreach (var host in Hosts.Where(h => h.Capabilities is null)) host.TryConnect();
    }

    public Task<string> DomainTypeForAsync(KrautHost host, string arch) =>
        host.DomainTypeForAsync(arch, _options.DomainType, arch == "aarch64" ? _arm64ProbeKernel : _probeKernel);

    public void Dispose()
    {
        foreach (var host in Hosts) host.Dispose();
    }
}

/// <summary>A VM cannot be placed (the scheduler's explanation, or its recorded host is gone).</summary>
public sealed class PlacementException(string message) : Exception(message);
