using System.Net;

namespace KrautPortal.Features.Networks.HostFacts;

/// <summary>A range the host itself uses: an interface's subnet, a route, or its DNS server.</summary>
/// <param name="Interface">The interface it is on (null for the DNS server), so Kraut's own bridges can be left out.</param>
/// <param name="What">How to name it in a sentence, e.g. "route 10.9.0.0/16 via 192.0.2.1 on eth0".</param>
public sealed record HostClaim(IPNetwork Range, string? Interface, string What);

/// <summary>What the machine Kraut runs on uses of the address space; a seam so validation tests can give fixed facts.</summary>
public interface IHostNetworkFacts
{
    IReadOnlyList<HostClaim> Read();
}

/// <summary>Fixed facts, for tests and for hosts whose networking Kraut must not look at.</summary>
public sealed class FixedHostNetworkFacts(params HostClaim[] claims) : IHostNetworkFacts
{
    public IReadOnlyList<HostClaim> Read() => claims;
}
