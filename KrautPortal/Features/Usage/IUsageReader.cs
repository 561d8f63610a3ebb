using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Usage;

/// <summary>One host's most recent bulk statistics, as the sampler last took them.</summary>
/// <param name="Vms">Kraut's VM id for each domain it knows (by domain uuid); domains Kraut does not manage are absent.</param>
public sealed record HostStatsSnapshot(string HostUri, DateTime At, IReadOnlyList<DomainStats> Domains, IReadOnlyDictionary<Guid, VmIdentity> Vms);

/// <summary>Who a sampled domain belongs to, for labels and showback.</summary>
public sealed record VmIdentity(Guid VmId, string Name, string Owner);

/// <summary>
/// The sampler's latest view, read by higher features (Metrics) without calling libvirt again: a scrape never waits
/// for a host.
/// </summary>
public interface IUsageReader
{
    IReadOnlyList<HostStatsSnapshot> Latest { get; }
}
